/// Reading the header block of an HMSG. The block comes from the server, so every shape is
/// checked and reported rather than assumed.
extension NATSHeaders {
    static func parse(_ block: [UInt8]) throws(NATSProtocolError) -> NATSHeaders {
        let prefix = Array("NATS/1.0".utf8)
        guard block.count >= prefix.count + 4, block.starts(with: prefix) else {
            throw NATSProtocolError(.invalidHeaders, "header block does not start with NATS/1.0: \(NATSProtocolError.excerpt(block))")
        }
        guard block.suffix(4).elementsEqual([13, 10, 13, 10]) else {
            throw NATSProtocolError(.invalidHeaders, "header block does not end with an empty line: \(NATSProtocolError.excerpt(block.suffix(40)))")
        }
        let lines = splitLines(block.dropLast(2))
        if let bad = lines.first(where: { $0.contains(13) || $0.contains(10) }) {
            throw NATSProtocolError(.invalidHeaders, "header line with a bare CR or LF: \(NATSProtocolError.excerpt(bad))")
        }
        var headers = NATSHeaders()
        try headers.parseStatusLine(lines[0].dropFirst(prefix.count))
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw NATSProtocolError(.invalidHeaders, "header line without a colon: \(NATSProtocolError.excerpt(line))")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(NATSValidation.isTokenByte) else {
                throw NATSProtocolError(.invalidHeaders, "invalid header name \(NATSProtocolError.excerpt(name))")
            }
            let value = trimBlanks(line[(colon + 1)...])
            headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return headers
    }

    /// After `NATS/1.0`: nothing, or ` <3 digits>`, or ` <3 digits> <description>`.
    private mutating func parseStatusLine(_ rest: ArraySlice<UInt8>) throws(NATSProtocolError) {
        let trimmed = trimBlanks(rest)
        guard !trimmed.isEmpty else { return }
        guard rest.first == UInt8(ascii: " ") || rest.first == UInt8(ascii: "\t") else {
            throw NATSProtocolError(.invalidHeaders, "malformed status line: \(NATSProtocolError.excerpt(rest))")
        }
        let codeEnd = trimmed.firstIndex { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") } ?? trimmed.endIndex
        let code = trimmed[trimmed.startIndex..<codeEnd]
        guard code.count == 3, code.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw NATSProtocolError(.invalidHeaders, "status code is not three digits: \(NATSProtocolError.excerpt(code))")
        }
        status = code.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        let description = trimBlanks(trimmed[codeEnd...])
        statusDescription = description.isEmpty ? nil : String(decoding: description, as: UTF8.self)
    }

    /// Lines separated by CRLF. A bare CR or LF inside a line is refused: it would let one
    /// header smuggle another past a reader that splits differently.
    private static func splitLines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 13, index + 1 < bytes.endIndex, bytes[index + 1] == 10 {
                lines.append(bytes[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start < bytes.endIndex { lines.append(bytes[start...]) }
        return lines
    }

    private static func trimBlanks(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 32 || first == 9 { slice = slice.dropFirst() }
        while let last = slice.last, last == 32 || last == 9 { slice = slice.dropLast() }
        return slice
    }

    private func trimBlanks(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> { Self.trimBlanks(bytes) }
}
