import PlexusCore

/// Human-in-the-loop sessions over HTTP: `/v1/sessions...`. Each call returns the session as the
/// node holds it after the call.
extension PlexusClient {
    /// Asks the question: the node stores the session and hands the prompt to its channel.
    ///
    /// Idempotent when `request.sessionID` is set: the same request again returns the existing
    /// session; a different request under a taken id fails with `http` 409 (`conflict`).
    public func createSession(_ request: SessionRequest) async throws(PlexusClientError) -> HumanSessionInfo {
        try await sessionCall(.post, "/v1/sessions", body: request.json, sessionID: request.sessionID)
    }

    /// The session now. Throws `http` 404 for an id the node does not know.
    public func session(_ id: String) async throws(PlexusClientError) -> HumanSessionInfo {
        try await sessionCall(.get, "/v1/sessions/\(Self.segment(id))", sessionID: id)
    }

    /// Sessions matching the filters, for dashboards and clean-up (not for waiting: use
    /// `sessionUpdates` or `sendAndWaitForResponse`).
    public func sessions(status: HumanSessionStatus? = nil, subjectID: String? = nil, limit: Int = 100) async throws(PlexusClientError) -> [HumanSessionInfo] {
        var query: [(String, String)] = []
        if let status { query.append(("status", status.rawValue)) }
        if let subjectID { query.append(("subject_id", subjectID)) }
        query.append(("limit", String(limit)))
        let json = try await callJSON(.get, "/v1/sessions", query: query)
        guard let items = json["sessions"]?.arrayValue else {
            throw .invalidResponse("GET /v1/sessions replied without a sessions array")
        }
        var sessions: [HumanSessionInfo] = []
        for item in items { sessions.append(try HumanSessionInfo(json: item)) }
        return sessions
    }

    /// Withdraws the question (the agent no longer needs an answer): the session ends `rejected`.
    /// Throws `http` 409 when it already ended.
    @discardableResult
    public func rejectSession(_ id: String, reason: String? = nil) async throws(PlexusClientError) -> HumanSessionInfo {
        var body: JSONObject = [:]
        if let reason { body["reason"] = .string(reason) }
        return try await sessionCall(.post, "/v1/sessions/\(Self.segment(id))/reject", body: .object(body), sessionID: id)
    }

    /// Answers a session on a person's behalf (what a custom channel or UI calls). The node checks
    /// the reply against the template: the returned session is `validated`, `responded` (a quorum
    /// still short), or back to `pending` with `errors` for a re-prompt.
    ///
    /// - Parameter approver: who answers; required when the session names approvers.
    @discardableResult
    public func reply(to id: String, with data: JSONValue, approver: String? = nil) async throws(PlexusClientError) -> HumanSessionInfo {
        var body: JSONObject = ["response_data": data]
        if let approver { body["approver"] = .string(approver) }
        return try await sessionCall(.post, "/v1/sessions/\(Self.segment(id))/reply", body: .object(body), sessionID: id)
    }

    /// Refuses to answer, on a person's behalf: the session ends `declined`.
    @discardableResult
    public func declineSession(_ id: String, reason: String? = nil, approver: String? = nil) async throws(PlexusClientError) -> HumanSessionInfo {
        var body: JSONObject = [:]
        if let reason { body["reason"] = .string(reason) }
        if let approver { body["approver"] = .string(approver) }
        return try await sessionCall(.post, "/v1/sessions/\(Self.segment(id))/decline", body: .object(body), sessionID: id)
    }

    /// A call whose reply is one session document; errors name the session.
    func sessionCall(_ method: Method, _ path: String, body: JSONValue? = nil, sessionID: String?) async throws(PlexusClientError) -> HumanSessionInfo {
        do {
            return try HumanSessionInfo(json: try await callJSON(method, path, body: body))
        } catch {
            var error = error
            if error.sessionID == nil { error.sessionID = sessionID }
            throw error
        }
    }
}
