import Yams

/// A strict reader over one YAML mapping: every key must be consumed or it is reported as
/// unknown, with its line, so a typo in a config file is an error rather than a silent default.
/// Shared by the node config and the simulator's topology and scenario files (PlexusSimFiles);
/// the typed readers for durations, fractions, rates and lists are in YAMLMapping+Values.swift.
public struct YAMLMapping {
    public let path: String
    let mapping: Node.Mapping
    /// The line the mapping starts on (1-based), for errors about the mapping as a whole.
    public let line: Int?
    private var consumed: Set<String> = []

    public init(_ node: Node, path: String) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(key: path.isEmpty ? "(document)" : path, line: node.mark?.line, message: "must be a mapping of keys to values")
        }
        self.path = path
        self.mapping = mapping
        self.line = node.mark?.line
    }

    /// Parses a document whose top level must be a mapping. An empty document is an empty mapping.
    public static func document(_ text: String) throws(ConfigurationError) -> YAMLMapping {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError(key: "(document)", line: Self.line(of: error), message: "invalid YAML: \(error)")
        } catch {
            throw ConfigurationError(key: "(document)", line: nil, message: "invalid YAML: \(error)")
        }
        return try YAMLMapping(node ?? Node([(Node, Node)]()), path: "")
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    /// `key` under this mapping's path: `path.key`, or `key` at the top level.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    mutating func node(_ key: String) -> Node? {
        consumed.insert(key)
        return mapping[Node(key)]
    }

    /// The value of `key` whatever its shape (scalar, list or mapping), marking the key as read:
    /// for keys that take several shapes, e.g. `nodes: 25` or `nodes: [a, b]`.
    public mutating func rawNode(_ key: String) -> Node? { node(key) }

    /// An error about `key` of this mapping, at `node`'s line (or the mapping's when nil).
    public func error(_ key: String, _ node: Node?, _ message: String) -> ConfigurationError {
        ConfigurationError(key: keyPath(key), line: node?.mark?.line ?? line, message: message)
    }

    public mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw error(key, node, "must be a string") }
        return scalar.string
    }

    public mutating func int(_ key: String) throws(ConfigurationError) -> Int? {
        guard let node = node(key) else { return nil }
        guard let value = node.int else { throw error(key, node, "must be an integer, got '\(node.string ?? "a collection")'") }
        return value
    }

    public mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard let value = node.bool else { throw error(key, node, "must be true or false, got '\(node.string ?? "a collection")'") }
        return value
    }

    /// A string that must be one of `allowed`.
    public mutating func choice(_ key: String, _ allowed: [String]) throws(ConfigurationError) -> String? {
        let fetched = try string(key)
        guard let value = fetched else { return nil }
        guard allowed.contains(value) else {
            throw error(key, mapping[Node(key)], "must be one of \(allowed.joined(separator: ", ")), got '\(value)'")
        }
        return value
    }

    public mutating func mapping(_ key: String) throws(ConfigurationError) -> YAMLMapping? {
        guard let node = node(key) else { return nil }
        return try YAMLMapping(node, path: keyPath(key))
    }

    /// An error about `key` at the line of the key itself (or the mapping's when it is absent).
    public func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(key: keyPath(key), line: keyLine(key), message: message)
    }

    /// The error for a required key that is absent, at the mapping's line.
    public func missing(_ key: String) -> ConfigurationError {
        ConfigurationError(key: keyPath(key), line: line, message: "is required")
    }

    /// Call before reading when the known keys are listed up front: a misspelt key is then
    /// reported as unknown rather than as the required key it was meant to be.
    public func rejectUnknownKeys(allowing known: [String]) throws(ConfigurationError) {
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? "\(keyNode)"
            if !known.contains(key) {
                throw ConfigurationError(key: keyPath(key), line: keyNode.mark?.line,
                                         message: "unknown key (known here: \(known.joined(separator: ", ")))")
            }
        }
    }

    /// Call after reading every known key: reports the first key nobody asked for.
    public func rejectUnknownKeys() throws(ConfigurationError) {
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? "\(keyNode)"
            if !consumed.contains(key) {
                let known = consumed.sorted().joined(separator: ", ")
                throw ConfigurationError(key: keyPath(key), line: keyNode.mark?.line, message: "unknown key (known here: \(known))")
            }
        }
    }
}
