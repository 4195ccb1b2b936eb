import Yams

/// Typed readers for what topology and scenario files hold beyond plain strings and integers:
/// numbers, durations, fractions, rates and lists. Like the basic readers they mark the key as
/// read, return nil when it is absent, and throw a `ConfigurationError` naming the full key path
/// (`events[3].crash.count`) and line when the value has the wrong shape.
extension YAMLMapping {
    /// The keys in file order: for mappings used as dictionaries (`link_classes`), whose keys are
    /// names rather than settings. Reading them does not mark them as read.
    public var keys: [String] {
        mapping.map { keyNode, _ in keyNode.string ?? "\(keyNode)" }
    }

    /// The line of `key` itself (not its value), for errors about the key.
    public func keyLine(_ key: String) -> Int? {
        mapping.first { keyNode, _ in keyNode.string == key }?.0.mark?.line ?? line
    }

    /// The path of the `index`-th element of the list at `key`: `path.key[index]`.
    public func elementPath(_ key: String, _ index: Int) -> String { "\(keyPath(key))[\(index)]" }

    /// A number; integers are accepted (`loss: 0`).
    public mutating func double(_ key: String) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(key, node, "a number")
        guard let value = YAMLScalar.number(text) else { throw error(key, node, "must be a number, got '\(text)'") }
        return value
    }

    /// A duration (`YAMLScalar.duration`): "500ms", "1.5s", "2m", "1h", "250us"; a bare number is seconds.
    public mutating func duration(_ key: String, allowNegative: Bool = false) throws(ConfigurationError) -> Duration? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(key, node, "a duration")
        guard let value = YAMLScalar.duration(text, allowNegative: allowNegative) else {
            let sign = allowNegative ? "" : "non-negative "
            throw error(key, node, "must be a \(sign)\(YAMLScalar.durationHelp), got '\(text)'")
        }
        return value
    }

    /// A fraction within 0...1, written `0.05` or `5%`.
    public mutating func fraction(_ key: String) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(key, node, "a fraction")
        guard let value = YAMLScalar.fraction(text) else {
            throw error(key, node, "must be a fraction within 0...1 or a percentage within 0%...100%, got '\(text)'")
        }
        return value
    }

    /// A positive rate per second, written `10/s` (or `/m`, `/h`) or as a bare number per second.
    public mutating func rate(_ key: String) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        let text = try scalarText(key, node, "a rate")
        guard let value = YAMLScalar.rate(text) else {
            throw error(key, node, "must be a positive rate like 10/s (or a number per second), got '\(text)'")
        }
        return value
    }

    /// A list, element nodes as they are (each carries its own line).
    public mutating func sequence(_ key: String) throws(ConfigurationError) -> [Node]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else { throw error(key, node, "must be a list, got \(Self.shape(node))") }
        return Array(sequence)
    }

    /// A list of scalars (`[gw, a, b]`).
    public mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let elements = try sequence(key) else { return nil }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .scalar(let scalar) = element else {
                throw ConfigurationError(key: elementPath(key, index), line: element.mark?.line,
                                         message: "must be a string, got \(Self.shape(element))")
            }
            result.append(scalar.string)
        }
        return result
    }

    /// A list of mappings (`events`, `organisations`), each a strict reader with path `key[i]`.
    public mutating func mappings(_ key: String) throws(ConfigurationError) -> [YAMLMapping]? {
        guard let elements = try sequence(key) else { return nil }
        var result: [YAMLMapping] = []
        for (index, element) in elements.enumerated() {
            result.append(try YAMLMapping(element, path: elementPath(key, index)))
        }
        return result
    }

    /// The text of a scalar value, or an error naming what was `expected` instead of a collection.
    func scalarText(_ key: String, _ node: Node, _ expected: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error(key, node, "must be \(expected), got \(Self.shape(node))") }
        return scalar.string
    }

    /// "a list", "a mapping" or the quoted scalar, for error messages.
    public static func shape(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }
}
