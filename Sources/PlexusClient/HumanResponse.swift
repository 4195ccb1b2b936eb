import PlexusCore

/// The validated answer to a question: what `sendAndWaitForResponse` returns, and only ever for a
/// `validated` session.
public struct HumanResponse: Sendable, Hashable {
    public var sessionID: String
    /// The reply that satisfied the template (`response_data`).
    public var data: JSONValue
    /// Who answered what; several entries for a quorum session.
    public var approvals: [HumanApproval]
    /// The result message the node published on `<subject_id>__human_intervention_results`, when
    /// the session document already names it.
    public var resultMessageID: MessageID?
    /// The final session, for anything else the caller wants from it.
    public var session: HumanSessionInfo

    public init(session: HumanSessionInfo, data: JSONValue) {
        sessionID = session.id
        self.data = data
        approvals = session.approvals
        resultMessageID = session.resultMessageID
        self.session = session
    }
}
