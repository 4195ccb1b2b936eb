import OrderedCollections

/// A session as an agent asks for it (`POST /session`, `POST /v1/sessions`), checked field by
/// field before anything is stored: a bad request is refused with the field's name, never kept
/// half-valid.
public struct SessionDraft: Sendable, Hashable {
    public static let maxReprompts = 10
    public static let maxApprovers = 32
    public static let defaultChannel = "inbox"

    public var sessionID: String?
    public var subjectID: String
    public var messageData: JSONValue
    public var templateSource: JSONValue?
    public var channelID: String
    public var expiresAt: Timestamp?
    public var maxReprompts: Int
    public var approvers: [String]
    public var quorum: Int
    public var dslExecutionID: JSONValue
    public var extra: JSONObject

    /// Reads a create body. `now` turns `expires_in` (seconds from now) into an expiry date.
    public init(_ body: JSONValue, now: Timestamp, defaultReprompts: Int = 2) throws(PlexusError) {
        guard case .object(let object) = body else {
            throw PlexusError(.invalidField, "a session must be a JSON object with subject_id and message_data")
        }
        sessionID = try object["session_id"].flatMap { value throws(PlexusError) in
            value == .null ? nil : try Self.identifier(value, field: "session_id")
        }
        guard let subject = object["subject_id"] else {
            throw PlexusError(.invalidField, "subject_id is required: the agent that asks and receives the result", pointer: "/subject_id")
        }
        subjectID = try Self.identifier(subject, field: "subject_id")
        // The result topic is built from the subject: it must make a valid topic.
        do {
            _ = try Topic(subjectID + "__human_intervention_results")
        } catch {
            throw PlexusError(.invalidField, "subject_id \"\(subjectID)\" cannot name a result topic: \(error.message)", pointer: "/subject_id")
        }
        guard let data = object["message_data"], case .object = data else {
            throw PlexusError(.invalidField, "message_data is required and must be an object (the question and its context)", pointer: "/message_data")
        }
        messageData = data
        if let template = object["message_data_template"], template != .null {
            do {
                _ = try MessageTemplate(template)
            } catch {
                throw PlexusError(.invalidField, "message_data_template: \(error)", pointer: "/message_data_template")
            }
            templateSource = template
        } else {
            templateSource = nil
        }
        if let channel = object["reception_channel_id"], channel != .null {
            channelID = try Self.identifier(channel, field: "reception_channel_id")
        } else {
            channelID = Self.defaultChannel
        }
        expiresAt = try Self.expiry(object, now: now)
        maxReprompts = try Self.count(object["max_reprompts"], field: "max_reprompts", range: 0...Self.maxReprompts) ?? defaultReprompts
        approvers = []
        if let list = object["approvers"], list != .null {
            guard case .array(let names) = list, names.count <= Self.maxApprovers else {
                throw PlexusError(.invalidField, "approvers must be an array of at most \(Self.maxApprovers) names", pointer: "/approvers")
            }
            for (index, name) in names.enumerated() {
                let approver = try Self.identifier(name, field: "approvers/\(index)")
                if approvers.contains(approver) {
                    throw PlexusError(.invalidField, "approver \"\(approver)\" is named twice", pointer: "/approvers/\(index)")
                }
                approvers.append(approver)
            }
        }
        let upper = max(1, approvers.count)
        quorum = try Self.count(object["quorum"], field: "quorum", range: 1...upper) ?? 1
        dslExecutionID = object["dsl_execution_id"] ?? .null
        extra = object.filter { !HumanSession.knownFields.contains($0.key) }
    }

    /// The session this draft creates.
    public func session(id: String, now: Timestamp) -> HumanSession {
        HumanSession(
            id: id, subjectID: subjectID, messageData: messageData, templateSource: templateSource, channelID: channelID, expiresAt: expiresAt,
            createdAt: now, maxReprompts: maxReprompts, approvers: approvers, quorum: quorum, dslExecutionID: dslExecutionID, extra: extra
        )
    }

    /// Whether `session` is what this draft would create (an idempotent retry of the same POST).
    public func matches(_ session: HumanSession) -> Bool {
        session.subjectID == subjectID && session.messageData == messageData && session.templateSource == templateSource
            && session.channelID == channelID && session.approvers == approvers && session.quorum == quorum
            && session.maxReprompts == maxReprompts && session.dslExecutionID == dslExecutionID && session.extra == extra
    }

    /// Ids (session, subject, channel, approver): 1 to 256 printable characters without spaces or
    /// slashes, so that they fit in a URL path segment and a topic.
    static func identifier(_ value: JSONValue, field: String) throws(PlexusError) -> String {
        guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= 256,
              !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "/" || $0 == "?" || $0 == "#" })
        else {
            throw PlexusError(.invalidField, "\(field) must be a string of 1 to 256 characters without spaces, '/', '?' or '#'", pointer: "/\(field)")
        }
        return text
    }

    static func count(_ value: JSONValue?, field: String, range: ClosedRange<Int>) throws(PlexusError) -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.integerValue, range.contains(Int(number)) else {
            throw PlexusError(.invalidField, "\(field) must be an integer from \(range.lowerBound) to \(range.upperBound)", pointer: "/\(field)")
        }
        return Int(number)
    }

    /// `expiry_date` (epoch seconds, as the original) or `expires_in` (seconds from now); not both.
    static func expiry(_ object: JSONObject, now: Timestamp) throws(PlexusError) -> Timestamp? {
        // `JSONValue?.none`, not `nil`: JSONValue is ExpressibleByNilLiteral, so a bare `nil` here
        // would be `.null` and a null field would count as given.
        let date = object["expiry_date"].flatMap { $0 == .null ? JSONValue?.none : $0 }
        let delay = object["expires_in"].flatMap { $0 == .null ? JSONValue?.none : $0 }
        switch (date, delay) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw PlexusError(.invalidField, "give expiry_date or expires_in, not both", pointer: "/expires_in")
        case (let date?, nil):
            // Up to year 9999; a date in the past is allowed and expires the session at once.
            guard let seconds = date.doubleValue, seconds.isFinite, seconds > 0, seconds < 253_402_300_800 else {
                throw PlexusError(.invalidField, "expiry_date must be a time in epoch seconds", pointer: "/expiry_date")
            }
            return Timestamp(seconds: seconds)
        case (nil, let delay?):
            guard let seconds = delay.doubleValue, seconds.isFinite, seconds > 0, seconds <= 31_622_400 * 10 else {
                throw PlexusError(.invalidField, "expires_in must be a positive number of seconds (at most ten years)", pointer: "/expires_in")
            }
            return now.adding(microseconds: Int64(seconds * 1_000_000))
        }
    }
}
