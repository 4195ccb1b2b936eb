/// Splits policy source into tokens.
///
/// Works on Unicode scalars so that offsets in errors are stable whatever the normalisation of
/// the text around them, and so that `\u` escapes produce exactly the scalar written. The whole
/// source is tokenised up front: it is bounded by `PolicyExpressionLimits.maxSourceLength`.
struct PolicyExpressionLexer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ source: String) {
        self.scalars = Array(source.unicodeScalars)
    }

    /// All tokens, ending with `.end`.
    mutating func tokenize() throws(PolicyExpressionError) -> [PolicyExpressionToken] {
        var tokens: [PolicyExpressionToken] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        let index = position + ahead
        return index < scalars.count ? scalars[index] : nil
    }

    private func syntaxError(_ message: String, at offset: Int) -> PolicyExpressionError {
        PolicyExpressionError(.syntax, message, offset: offset)
    }

    private mutating func skipWhitespaceAndComments() {
        while let scalar = peek() {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{0C}" {
                position += 1
            } else if scalar == "/" && peek(1) == "/" {
                // CEL line comment: policies kept in config files deserve an explanation.
                while let next = peek(), next != "\n" { position += 1 }
            } else {
                return
            }
        }
    }

    private mutating func next() throws(PolicyExpressionError) -> PolicyExpressionToken {
        skipWhitespaceAndComments()
        let start = position
        guard let scalar = peek() else { return PolicyExpressionToken(kind: .end, offset: start) }
        func token(_ kind: PolicyExpressionToken.Kind, length: Int) -> PolicyExpressionToken {
            position += length
            return PolicyExpressionToken(kind: kind, offset: start)
        }
        switch scalar {
        case "(": return token(.leftParen, length: 1)
        case ")": return token(.rightParen, length: 1)
        case "[": return token(.leftBracket, length: 1)
        case "]": return token(.rightBracket, length: 1)
        case "{": return token(.leftBrace, length: 1)
        case "}": return token(.rightBrace, length: 1)
        case ",": return token(.comma, length: 1)
        case ":": return token(.colon, length: 1)
        case "?": return token(.question, length: 1)
        case "+": return token(.plus, length: 1)
        case "-": return token(.minus, length: 1)
        case "*": return token(.star, length: 1)
        case "/": return token(.slash, length: 1)
        case "%": return token(.percent, length: 1)
        case "!": return peek(1) == "=" ? token(.notEqual, length: 2) : token(.bang, length: 1)
        case "<": return peek(1) == "=" ? token(.lessEqual, length: 2) : token(.less, length: 1)
        case ">": return peek(1) == "=" ? token(.greaterEqual, length: 2) : token(.greater, length: 1)
        case "=":
            guard peek(1) == "=" else { throw syntaxError("'=' is not an operator; use '==' to compare", at: start) }
            return token(.equal, length: 2)
        case "&":
            guard peek(1) == "&" else { throw syntaxError("'&' is not an operator; use '&&'", at: start) }
            return token(.and, length: 2)
        case "|":
            guard peek(1) == "|" else { throw syntaxError("'|' is not an operator; use '||'", at: start) }
            return token(.or, length: 2)
        case "\"", "'":
            position += 1
            return PolicyExpressionToken(kind: .string(try stringBody(quote: scalar, raw: false, start: start)), offset: start)
        case ".":
            return token(.dot, length: 1)
        case "0"..."9":
            return try number()
        default:
            if (scalar == "r" || scalar == "R"), let quote = peek(1), quote == "\"" || quote == "'" {
                position += 2
                return PolicyExpressionToken(kind: .string(try stringBody(quote: quote, raw: true, start: start)), offset: start)
            }
            guard Self.isIdentifierStart(scalar) else {
                throw syntaxError("unexpected character '\(scalar.escaped(asASCII: true))'", at: start)
            }
            return identifier()
        }
    }

    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        return ("0"..."9").contains(scalar)
    }

    private mutating func identifier() -> PolicyExpressionToken {
        let start = position
        while let scalar = peek(), Self.isIdentifierStart(scalar) || Self.isDigit(scalar) { position += 1 }
        var name = ""
        name.unicodeScalars.append(contentsOf: scalars[start..<position])
        let kind: PolicyExpressionToken.Kind = switch name {
        case "true": .trueLiteral
        case "false": .falseLiteral
        case "null": .nullLiteral
        case "in": .inKeyword
        default: .identifier(name)
        }
        return PolicyExpressionToken(kind: kind, offset: start)
    }

    private mutating func number() throws(PolicyExpressionError) -> PolicyExpressionToken {
        let start = position
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            position += 2
            var value: UInt64 = 0
            var digits = 0
            while let scalar = peek(), scalar.isASCII, scalar != "+", scalar != "-",
                  let digit = UInt64(String(scalar), radix: 16) {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 16)
                guard !overflow else { throw syntaxError("integer literal out of range", at: start) }
                value = shifted + digit
                digits += 1
                position += 1
            }
            guard digits > 0 else { throw syntaxError("hexadecimal literal needs digits", at: start) }
            return PolicyExpressionToken(kind: .integer(value), offset: start)
        }
        while Self.isDigit(peek()) { position += 1 }
        var isDouble = false
        if peek() == ".", Self.isDigit(peek(1)) {
            isDouble = true
            position += 1
            while Self.isDigit(peek()) { position += 1 }
        }
        if peek() == "e" || peek() == "E" {
            var lookahead = 1
            if peek(1) == "+" || peek(1) == "-" { lookahead = 2 }
            guard Self.isDigit(peek(lookahead)) else { throw syntaxError("exponent needs digits", at: start) }
            isDouble = true
            position += lookahead
            while Self.isDigit(peek()) { position += 1 }
        }
        if let scalar = peek(), Self.isIdentifierStart(scalar) {
            throw syntaxError("unexpected '\(scalar)' after number", at: position)
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<position])
        if isDouble {
            guard let value = Double(text), value.isFinite else { throw syntaxError("double literal out of range", at: start) }
            return PolicyExpressionToken(kind: .double(value), offset: start)
        }
        guard let value = UInt64(text) else { throw syntaxError("integer literal out of range", at: start) }
        return PolicyExpressionToken(kind: .integer(value), offset: start)
    }

    /// The decoded contents of a string literal whose opening quote has been consumed.
    private mutating func stringBody(quote: Unicode.Scalar, raw: Bool, start: Int) throws(PolicyExpressionError) -> String {
        var result = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw syntaxError("unterminated string literal", at: start) }
            if scalar == "\n" || scalar == "\r" { throw syntaxError("unterminated string literal (newline in string)", at: start) }
            position += 1
            if scalar == quote { return String(result) }
            if scalar != "\\" || raw {
                result.append(scalar)
                continue
            }
            let escapeOffset = position - 1
            guard let escaped = peek() else { throw syntaxError("unterminated string literal", at: start) }
            position += 1
            switch escaped {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "\\", "\"", "'", "/", "`", "?": result.append(escaped)
            case "u": result.append(try hexScalar(digits: 4, escapeOffset: escapeOffset))
            case "U": result.append(try hexScalar(digits: 8, escapeOffset: escapeOffset))
            default: throw syntaxError("unknown escape '\\\(escaped)'", at: escapeOffset)
            }
        }
    }

    private mutating func hexScalar(digits: Int, escapeOffset: Int) throws(PolicyExpressionError) -> Unicode.Scalar {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let scalar = peek(), scalar.isASCII, let digit = UInt32(String(scalar), radix: 16) else {
                throw syntaxError("escape needs \(digits) hexadecimal digits", at: escapeOffset)
            }
            value = value * 16 + digit
            position += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw syntaxError("escape is not a Unicode scalar (surrogate or out of range)", at: escapeOffset)
        }
        return scalar
    }
}
