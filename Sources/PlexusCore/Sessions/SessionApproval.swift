/// One person's valid answer (or refusal) in a session.
public struct SessionApproval: Sendable, Hashable {
    /// Who answered: a named approver, or the channel's user name when anyone may answer.
    public var approver: String?
    /// The reply (a decline carries its reason instead).
    public var responseData: JSONValue
    public var at: Timestamp

    public init(approver: String?, responseData: JSONValue, at: Timestamp) {
        self.approver = approver
        self.responseData = responseData
        self.at = at
    }

    public var json: JSONValue {
        ["approver": approver.map { .string($0) } ?? .null, "response_data": responseData, "at": .string(at.rfc3339)]
    }

    init(json: JSONValue) throws(PlexusError) {
        guard case .object(let object) = json, let at = object["at"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) else {
            throw PlexusError(.invalidField, "a stored approval is not {approver, response_data, at}")
        }
        approver = object["approver"]?.stringValue
        responseData = object["response_data"] ?? .null
        self.at = at
    }
}
