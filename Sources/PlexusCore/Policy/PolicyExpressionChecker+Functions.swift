/// Resolution of function and method calls to `PolicyExpressionFunction`s.
extension PolicyExpressionChecker {
    private static let methods: Set<String> = ["size", "startsWith", "endsWith", "contains", "matches", "lowerAscii", "upperAscii"]

    mutating func call(
        _ name: String, target: Node?, arguments: [Node], at node: Node
    ) throws(PolicyExpressionError) -> (Node, PolicyType) {
        var checkedArguments: [Node] = []
        var argumentTypes: [PolicyType] = []
        for argument in arguments {
            let (checked, type) = try check(argument)
            checkedArguments.append(checked)
            argumentTypes.append(type)
        }
        func arity(_ expected: Int) throws(PolicyExpressionError) {
            guard arguments.count == expected else {
                let noun = expected == 1 ? "argument" : "arguments"
                throw typeError("\(name) takes \(expected) \(noun), got \(arguments.count)", at: node)
            }
        }
        func builtin(_ function: PolicyExpressionFunction, _ operands: [Node]) -> Node {
            rebuilt(node, .builtin(function, operands))
        }

        guard let target else {
            switch name {
            case "size":
                try arity(1)
                try requireSizeable(argumentTypes[0], at: arguments[0])
                return (builtin(.size, checkedArguments), .int)
            case "int", "double", "string":
                try arity(1)
                let function = PolicyExpressionFunction(rawValue: name)!
                try requireConvertible(argumentTypes[0], to: function, at: arguments[0])
                let result: PolicyType = name == "int" ? .int : name == "double" ? .double : .string
                return (builtin(function, checkedArguments), result)
            default:
                if Self.methods.contains(name) {
                    throw typeError("\(name) is a method: call it as value.\(name)(...)", at: node)
                }
                throw typeError("unknown function '\(name)'", at: node)
            }
        }

        let (checkedTarget, targetType) = try check(target)
        switch name {
        case "size":
            try arity(0)
            try requireSizeable(targetType, at: target)
            return (builtin(.size, [checkedTarget]), .int)
        case "startsWith", "endsWith", "contains", "matches":
            try requireString(targetType, "\(name) needs a string receiver, got \(targetType)", at: target)
            try arity(1)
            try requireString(argumentTypes[0], "\(name) expects a string argument, got \(argumentTypes[0])", at: arguments[0])
            if name == "matches", case .literal(.string(let pattern)) = arguments[0].kind {
                do throws(PolicyExpressionError) {
                    let regex = try PolicyExpressionRegex(pattern)
                    return (rebuilt(node, .regexMatch(checkedTarget, regex)), .bool)
                } catch {
                    throw PolicyExpressionError(.type, error.message, offset: arguments[0].offset)
                }
            }
            let function = PolicyExpressionFunction(rawValue: name)!
            return (builtin(function, [checkedTarget] + checkedArguments), .bool)
        case "lowerAscii", "upperAscii":
            try requireString(targetType, "\(name) needs a string receiver, got \(targetType)", at: target)
            try arity(0)
            return (builtin(PolicyExpressionFunction(rawValue: name)!, [checkedTarget]), .string)
        default:
            if name == "has" || name == "int" || name == "double" || name == "string" {
                throw typeError("\(name) is a function, not a method: call it as \(name)(value)", at: node)
            }
            throw typeError("unknown method '\(name)'", at: node)
        }
    }

    private func requireString(_ type: PolicyType, _ message: String, at node: Node) throws(PolicyExpressionError) {
        guard type == .string || type == .dyn else { throw typeError(message, at: node) }
    }

    private func requireSizeable(_ type: PolicyType, at node: Node) throws(PolicyExpressionError) {
        switch type {
        case .string, .list, .map, .dyn: return
        default: throw typeError("size expects a string, list or map, got \(type)", at: node)
        }
    }

    private func requireConvertible(
        _ type: PolicyType, to function: PolicyExpressionFunction, at node: Node
    ) throws(PolicyExpressionError) {
        let accepted = switch type {
        case .int, .double, .string, .dyn: true
        case .bool: function == .string
        default: false
        }
        guard accepted else { throw typeError("\(function.rawValue)() cannot convert \(type)", at: node) }
    }
}
