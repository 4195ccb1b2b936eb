/// A configuration problem, naming the key (dotted path) and, when read from YAML, the line.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var line: Int?
    public var message: String

    public init(key: String, line: Int?, message: String) {
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "configuration error at line \(line), key '\(key)': \(message)" }
        return "configuration error, key '\(key)': \(message)"
    }
}
