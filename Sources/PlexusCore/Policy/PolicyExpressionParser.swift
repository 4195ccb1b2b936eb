/// Recursive-descent parser for the CEL subset, with CEL's precedence:
///
///     expr     = or ["?" or ":" expr]
///     or       = and {"||" and}
///     and      = relation {"&&" relation}
///     relation = addition {("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") addition}
///     addition = product {("+" | "-") product}
///     product  = unary {("*" | "/" | "%") unary}
///     unary    = member | "!" unary | "-" unary
///     member   = primary {"." IDENT ["(" args ")"] | "[" expr "]"}
///     primary  = literal | IDENT ["(" args ")"] | "(" expr ")" | "[" list "]" | "{" map "}"
///
/// Every rule that can recurse counts its depth against `limits.maxDepth` before descending, so a
/// source of ten thousand `(` is a syntax error at the 65th, not a stack overflow.
struct PolicyExpressionParser {
    private let tokens: [PolicyExpressionToken]
    private let limits: PolicyExpressionLimits
    private var index = 0
    private var depth = 0
    private var nodeCount = 0

    private init(tokens: [PolicyExpressionToken], limits: PolicyExpressionLimits) {
        self.tokens = tokens
        self.limits = limits
    }

    static func parse(_ source: String, limits: PolicyExpressionLimits) throws(PolicyExpressionError) -> PolicyExpressionNode {
        // The UTF-8 test is O(1) and stops a huge string before it is even counted.
        if source.utf8.count / 4 > limits.maxSourceLength || source.unicodeScalars.count > limits.maxSourceLength {
            throw PolicyExpressionError(.syntax, "expression is longer than \(limits.maxSourceLength) characters", offset: limits.maxSourceLength)
        }
        var lexer = PolicyExpressionLexer(source)
        var parser = PolicyExpressionParser(tokens: try lexer.tokenize(), limits: limits)
        let root = try parser.expression()
        guard parser.current.kind == .end else {
            throw parser.error("unexpected \(parser.current.spelling) after the end of the expression")
        }
        return root
    }

    // MARK: Token helpers

    private var current: PolicyExpressionToken { tokens[index] }

    private var following: PolicyExpressionToken { tokens[min(index + 1, tokens.count - 1)] }

    private mutating func advance() -> PolicyExpressionToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func error(_ message: String, at offset: Int? = nil) -> PolicyExpressionError {
        PolicyExpressionError(.syntax, message, offset: offset ?? current.offset)
    }

    private mutating func expect(_ kind: PolicyExpressionToken.Kind, _ what: String) throws(PolicyExpressionError) {
        guard current.kind == kind else { throw error("expected \(what), found \(current.spelling)") }
        _ = advance()
    }

    private mutating func descend() throws(PolicyExpressionError) {
        depth += 1
        if depth > limits.maxDepth { throw error("expression nests more than \(limits.maxDepth) levels deep") }
    }

    private mutating func ascend() { depth -= 1 }

    private mutating func node(_ kind: PolicyExpressionNode.Kind, at offset: Int) throws(PolicyExpressionError) -> PolicyExpressionNode {
        nodeCount += 1
        if nodeCount > limits.maxNodes { throw error("expression has more than \(limits.maxNodes) nodes", at: offset) }
        let node = PolicyExpressionNode(kind, offset: offset)
        if node.height > limits.maxDepth { throw error("expression nests more than \(limits.maxDepth) levels deep", at: offset) }
        return node
    }

    // MARK: Rules

    private mutating func expression() throws(PolicyExpressionError) -> PolicyExpressionNode {
        try descend()
        defer { ascend() }
        let condition = try logicalOr()
        guard current.kind == .question else { return condition }
        let question = advance()
        let then = try logicalOr()
        try expect(.colon, "':' of the conditional")
        let otherwise = try expression()
        return try node(.conditional(condition, then, otherwise), at: question.offset)
    }

    private mutating func logicalOr() throws(PolicyExpressionError) -> PolicyExpressionNode {
        let first = try logicalAnd()
        guard current.kind == .or else { return first }
        let offset = current.offset
        var operands = [first]
        while current.kind == .or {
            _ = advance()
            operands.append(try logicalAnd())
        }
        return try node(.or(operands), at: offset)
    }

    private mutating func logicalAnd() throws(PolicyExpressionError) -> PolicyExpressionNode {
        let first = try relation()
        guard current.kind == .and else { return first }
        let offset = current.offset
        var operands = [first]
        while current.kind == .and {
            _ = advance()
            operands.append(try relation())
        }
        return try node(.and(operands), at: offset)
    }

    private mutating func relation() throws(PolicyExpressionError) -> PolicyExpressionNode {
        var left = try addition()
        while true {
            let op: PolicyExpressionNode.BinaryOperator
            switch current.kind {
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            case .less: op = .less
            case .lessEqual: op = .lessEqual
            case .greater: op = .greater
            case .greaterEqual: op = .greaterEqual
            case .inKeyword: op = .in
            default: return left
            }
            let token = advance()
            left = try node(.binary(op, left, try addition()), at: token.offset)
        }
    }

    private mutating func addition() throws(PolicyExpressionError) -> PolicyExpressionNode {
        var left = try product()
        while current.kind == .plus || current.kind == .minus {
            let token = advance()
            left = try node(.binary(token.kind == .plus ? .add : .subtract, left, try product()), at: token.offset)
        }
        return left
    }

    private mutating func product() throws(PolicyExpressionError) -> PolicyExpressionNode {
        var left = try unary()
        while true {
            let op: PolicyExpressionNode.BinaryOperator
            switch current.kind {
            case .star: op = .multiply
            case .slash: op = .divide
            case .percent: op = .remainder
            default: return left
            }
            let token = advance()
            left = try node(.binary(op, left, try unary()), at: token.offset)
        }
    }

    private mutating func unary() throws(PolicyExpressionError) -> PolicyExpressionNode {
        switch current.kind {
        case .bang:
            let token = advance()
            try descend()
            defer { ascend() }
            return try node(.not(try unary()), at: token.offset)
        case .minus:
            let token = advance()
            if let literal = try negativeLiteral(at: token.offset) { return literal }
            try descend()
            defer { ascend() }
            return try node(.negate(try unary()), at: token.offset)
        default:
            return try member()
        }
    }

    /// `-` directly before a number is part of the literal, so that the most negative int can be
    /// written; `-1.size()`-style member access keeps the operator separate.
    private mutating func negativeLiteral(at offset: Int) throws(PolicyExpressionError) -> PolicyExpressionNode? {
        guard following.kind != .dot, following.kind != .leftBracket else { return nil }
        switch current.kind {
        case .integer(let magnitude):
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error("integer literal out of range") }
            _ = advance()
            let value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            return try node(.literal(.integer(value)), at: offset)
        case .double(let value):
            _ = advance()
            return try node(.literal(.double(-value)), at: offset)
        default:
            return nil
        }
    }

    private mutating func member() throws(PolicyExpressionError) -> PolicyExpressionNode {
        var target = try primary()
        while true {
            switch current.kind {
            case .dot:
                _ = advance()
                let nameToken = current
                guard case .identifier(let name) = nameToken.kind else {
                    throw error("expected a field or method name after '.', found \(current.spelling)")
                }
                _ = advance()
                if current.kind == .leftParen {
                    let arguments = try argumentList()
                    target = try methodCall(name, on: target, arguments: arguments, at: nameToken.offset)
                } else {
                    target = try node(.select(target, field: name), at: nameToken.offset)
                }
            case .leftBracket:
                let bracket = advance()
                try descend()
                let subscriptNode = try expression()
                ascend()
                try expect(.rightBracket, "']'")
                target = try node(.index(target, subscriptNode), at: bracket.offset)
            default:
                return target
            }
        }
    }

    private mutating func methodCall(
        _ name: String, on target: PolicyExpressionNode, arguments: [PolicyExpressionNode], at offset: Int
    ) throws(PolicyExpressionError) -> PolicyExpressionNode {
        guard let quantifier = PolicyExpressionNode.Quantifier(rawValue: name) else {
            return try node(.call(name, target: target, arguments: arguments), at: offset)
        }
        guard arguments.count == 2, case .identifier(let variable) = arguments[0].kind else {
            throw error("\(name) takes a variable name and a predicate, like \(name)(x, x > 0)", at: offset)
        }
        return try node(.comprehension(quantifier, range: target, variable: variable, predicate: arguments[1]), at: offset)
    }

    /// `( [expr {"," expr}] )`, starting at the `(`.
    private mutating func argumentList() throws(PolicyExpressionError) -> [PolicyExpressionNode] {
        try expect(.leftParen, "'('")
        var arguments: [PolicyExpressionNode] = []
        if current.kind == .rightParen {
            _ = advance()
            return arguments
        }
        while true {
            arguments.append(try expression())
            if current.kind == .comma {
                _ = advance()
                continue
            }
            try expect(.rightParen, "',' or ')' in the argument list")
            return arguments
        }
    }

    private mutating func primary() throws(PolicyExpressionError) -> PolicyExpressionNode {
        let token = current
        switch token.kind {
        case .integer(let magnitude):
            guard magnitude <= UInt64(Int64.max) else { throw error("integer literal out of range") }
            _ = advance()
            return try node(.literal(.integer(Int64(magnitude))), at: token.offset)
        case .double(let value):
            _ = advance()
            return try node(.literal(.double(value)), at: token.offset)
        case .string(let value):
            _ = advance()
            return try node(.literal(.string(value)), at: token.offset)
        case .trueLiteral, .falseLiteral:
            _ = advance()
            return try node(.literal(.bool(token.kind == .trueLiteral)), at: token.offset)
        case .nullLiteral:
            _ = advance()
            return try node(.literal(.null), at: token.offset)
        case .identifier(let name):
            _ = advance()
            guard current.kind == .leftParen else { return try node(.identifier(name), at: token.offset) }
            let arguments = try argumentList()
            if name == "has" { return try presence(arguments, at: token.offset) }
            return try node(.call(name, target: nil, arguments: arguments), at: token.offset)
        case .leftParen:
            _ = advance()
            let inner = try expression()
            try expect(.rightParen, "')'")
            return inner
        case .leftBracket:
            _ = advance()
            try descend()
            defer { ascend() }
            let elements = try sequence(closing: .rightBracket, "']'") { parser throws(PolicyExpressionError) in
                try parser.expression()
            }
            return try node(.list(elements), at: token.offset)
        case .leftBrace:
            _ = advance()
            try descend()
            defer { ascend() }
            let entries = try sequence(closing: .rightBrace, "'}'") { parser throws(PolicyExpressionError) in
                let key = try parser.expression()
                try parser.expect(.colon, "':' after a map key")
                return (key, try parser.expression())
            }
            return try node(.map(keys: entries.map(\.0), values: entries.map(\.1)), at: token.offset)
        case .end:
            throw error("unexpected end of input, expected an expression")
        default:
            throw error("unexpected \(token.spelling), expected an expression")
        }
    }

    /// `has(a.b)`: CEL's presence test is a macro over a field selection, not a function.
    private mutating func presence(_ arguments: [PolicyExpressionNode], at offset: Int) throws(PolicyExpressionError) -> PolicyExpressionNode {
        guard arguments.count == 1, case .select(let target, let field) = arguments[0].kind else {
            throw error("has() takes one field selection, like has(a.b)", at: offset)
        }
        return try node(.presence(target, field: field), at: offset)
    }

    /// Comma-separated items up to `closing`, a trailing comma allowed; the opener is consumed.
    private mutating func sequence<Item>(
        closing: PolicyExpressionToken.Kind, _ what: String,
        _ item: (inout PolicyExpressionParser) throws(PolicyExpressionError) -> Item
    ) throws(PolicyExpressionError) -> [Item] {
        var items: [Item] = []
        while current.kind != closing {
            items.append(try item(&self))
            guard current.kind == .comma else { break }
            _ = advance()
        }
        try expect(closing, "',' or \(what)")
        return items
    }
}
