import PlexusCore

/// Why a reply did not satisfy the session's template: the node re-prompts with these, and a
/// `failed` session keeps the last ones.
public struct SessionReplyError: Sendable, Hashable, CustomStringConvertible {
    /// A JSON pointer into the reply (`/amount`).
    public var pointer: String
    /// The schema rule that failed (`minimum`, `required`...).
    public var rule: String
    public var message: String

    public init(pointer: String, rule: String, message: String) {
        self.pointer = pointer
        self.rule = rule
        self.message = message
    }

    init?(json: JSONValue) {
        guard let message = json["message"]?.stringValue else { return nil }
        pointer = json["pointer"]?.stringValue ?? ""
        rule = json["rule"]?.stringValue ?? ""
        self.message = message
    }

    public var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }
}
