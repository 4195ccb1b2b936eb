import NIOCore

/// NATS message headers: an ordered multimap (a name may repeat, order is kept as sent) plus the
/// optional status of the `NATS/1.0` line, which is how the server signals no-responders (503)
/// or a request timeout (408) without a payload.
public struct NATSHeaders: Sendable, Hashable, Sequence {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]
    /// The status code of the `NATS/1.0 <code> <description>` line; nil for an ordinary message.
    public var status: Int?
    public var statusDescription: String?

    public init(_ pairs: [(String, String)] = [], status: Int? = nil, statusDescription: String? = nil) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
        self.status = status
        self.statusDescription = statusDescription
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Lookups ignore ASCII case: senders disagree on canonical casing (Go's client keeps it as
    /// written, HTTP-minded senders capitalise), and a bridge should find `Nats-Msg-Id` either way.
    public func values(for name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every value of `name` with one value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.sameName($0.name, name) }
    }

    /// Throws if any name or value could break the header block on the wire.
    public func validate() throws(NATSClientError) {
        for field in fields {
            try NATSValidation.validateHeaderName(field.name)
            try NATSValidation.validateHeaderValue(field.value, name: field.name)
        }
        if let statusDescription {
            try NATSValidation.validateHeaderValue(statusDescription, name: "status description")
        }
        if let status, !(100...999).contains(status) {
            throw NATSClientError(.invalidHeader, "header status \(status) is not a three-digit code")
        }
    }

    /// Writes `NATS/1.0[ status[ description]]\r\n(name: value\r\n)*\r\n` and returns its length.
    /// Callers validate first; encoding does not re-check.
    @discardableResult
    public func encode(into buffer: inout ByteBuffer) -> Int {
        var written = buffer.writeString("NATS/1.0")
        if let status {
            written += buffer.writeString(" \(status)")
            if let statusDescription, !statusDescription.isEmpty {
                written += buffer.writeString(" " + statusDescription)
            }
        }
        written += buffer.writeString("\r\n")
        for field in fields {
            written += buffer.writeString(field.name)
            written += buffer.writeString(": ")
            written += buffer.writeString(field.value)
            written += buffer.writeString("\r\n")
        }
        written += buffer.writeString("\r\n")
        return written
    }

    /// The exact number of bytes `encode(into:)` writes, needed for HPUB's size fields.
    public var encodedLength: Int {
        var length = 8 + 2 + 2
        if let status {
            length += 1 + String(status).utf8.count
            if let statusDescription, !statusDescription.isEmpty { length += 1 + statusDescription.utf8.count }
        }
        for field in fields { length += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        return length
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }
}
