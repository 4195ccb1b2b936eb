import Foundation
import PlexusCore

/// One person's valid answer in a session (or, in `declines`, their refusal with its reason).
/// A quorum session collects several before it is `validated`.
public struct HumanApproval: Sendable, Hashable {
    /// Who answered: a named approver, or nil when anyone on the channel could answer.
    public var approver: String?
    /// What they answered.
    public var data: JSONValue
    /// When the node recorded it.
    public var at: Date?

    public init(approver: String?, data: JSONValue, at: Date? = nil) {
        self.approver = approver
        self.data = data
        self.at = at
    }

    /// Reads `{"approver", "response_data", "at"}`; nil when `json` is not an object.
    init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        approver = json["approver"]?.stringValue
        data = json["response_data"] ?? .null
        at = json["at"]?.stringValue.flatMap(Date.init(rfc3339:))
    }
}
