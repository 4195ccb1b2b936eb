import Foundation
import PlexusCore

/// A human-in-the-loop session as the node last reported it (`GET /v1/sessions/{id}`, and every
/// frame of `WS /v1/sessions/{id}/events`).
///
/// The typed fields cover what an agent acts on; `raw` keeps the whole document, so fields this
/// client does not model (channel state, delivery attempts, extra fields) are never lost.
public struct HumanSessionInfo: Sendable, Hashable {
    public var id: String
    /// The agent that asked.
    public var subjectID: String
    public var status: HumanSessionStatus
    /// Goes up by one on every change: the cursor that orders updates and drops repeats.
    public var version: Int64
    /// The validated reply; nil until the session is `validated`.
    public var responseData: JSONValue?
    /// The last reply's template violations (the node re-prompts with them).
    public var errors: [SessionReplyError]
    /// Valid answers so far (one per approver in a quorum session).
    public var approvals: [HumanApproval]
    /// Refusals, each with its reason in `data`.
    public var declines: [HumanApproval]
    /// Why it was declined, rejected or failed.
    public var reason: String?
    public var channelID: String?
    public var expiryDate: Date?
    /// The current prompt round (1, then +1 per re-prompt).
    public var round: Int
    /// The message the node published with the validated result, when it has.
    public var resultMessageID: MessageID?
    /// The session document as the node sent it.
    public var raw: JSONValue

    /// Reads a session document; throws `invalidResponse` when it lacks `session_id` or `status`.
    public init(json: JSONValue) throws(PlexusClientError) {
        guard let id = json["session_id"]?.stringValue else {
            throw .invalidResponse("a session document has no session_id: \(Self.excerpt(json))")
        }
        guard let status = json["status"]?.stringValue else {
            throw .invalidResponse("session \(id) has no status")
        }
        self.id = id
        self.status = HumanSessionStatus(rawValue: status)
        subjectID = json["subject_id"]?.stringValue ?? ""
        version = json["version"]?.integerValue ?? 0
        responseData = json["response_data"].flatMap { $0 == .null ? nil : $0 }
        errors = (json["errors"]?.arrayValue ?? []).compactMap(SessionReplyError.init(json:))
        approvals = (json["approvals"]?.arrayValue ?? []).compactMap(HumanApproval.init(json:))
        declines = (json["declines"]?.arrayValue ?? []).compactMap(HumanApproval.init(json:))
        reason = json["reason"]?.stringValue
        channelID = json["reception_channel_id"]?.stringValue
        expiryDate = json["expiry_date"]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
        round = Int(json["round"]?.integerValue ?? 1)
        resultMessageID = json["result_message_uuid"]?.stringValue.flatMap { MessageID(string: $0) }
        raw = json
    }

    /// The start of a document, for an error message (never a whole body).
    static func excerpt(_ json: JSONValue) -> String {
        let text = json.jsonString
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
