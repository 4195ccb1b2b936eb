/// One lexical token of a policy expression, with the offset of its first scalar in the source.
struct PolicyExpressionToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// The magnitude only: a leading `-` is an operator, and the parser folds it into the
        /// literal so that `-9223372036854775808` is representable.
        case integer(UInt64)
        case double(Double)
        case string(String)
        case identifier(String)
        case trueLiteral, falseLiteral, nullLiteral, inKeyword
        case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
        case comma, colon, dot, question
        case plus, minus, star, slash, percent, bang
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case and, or
        case end
    }

    var kind: Kind
    var offset: Int

    /// How the token reads in an error message.
    var spelling: String {
        switch kind {
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .string: "string literal"
        case .identifier(let name): "'\(name)'"
        case .trueLiteral: "'true'"
        case .falseLiteral: "'false'"
        case .nullLiteral: "'null'"
        case .inKeyword: "'in'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .comma: "','"
        case .colon: "':'"
        case .dot: "'.'"
        case .question: "'?'"
        case .plus: "'+'"
        case .minus: "'-'"
        case .star: "'*'"
        case .slash: "'/'"
        case .percent: "'%'"
        case .bang: "'!'"
        case .equal: "'=='"
        case .notEqual: "'!='"
        case .less: "'<'"
        case .lessEqual: "'<='"
        case .greater: "'>'"
        case .greaterEqual: "'>='"
        case .and: "'&&'"
        case .or: "'||'"
        case .end: "end of input"
        }
    }
}
