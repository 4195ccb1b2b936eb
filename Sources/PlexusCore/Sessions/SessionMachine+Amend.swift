import OrderedCollections

extension SessionMachine {
    /// Fields the original `PUT /session/<id>` may change. The status is not one of them: it
    /// changes only through answers, declines, rejections and the clock, or a PUT could turn an
    /// expiry into a validation.
    public static let amendableFields: Set<String> = ["expiry_date", "expires_in", "dsl_execution_id"]

    /// An open session's expiry, `dsl_execution_id` or extra fields changed; a final one refuses.
    public static func amend(_ session: HumanSession, with body: JSONValue, now: Timestamp) throws(PlexusError) -> SessionTransition {
        guard case .object(let changes) = body else { throw PlexusError(.invalidField, "the update must be a JSON object") }
        var next = session
        for (key, value) in changes {
            if key == "status", value.stringValue == session.status.rawValue { continue }
            if key == "session_id", value.stringValue == session.id { continue }
            if HumanSession.knownFields.contains(key), !amendableFields.contains(key) {
                throw PlexusError(.invalidField, "\(key) cannot be changed by an update; only expiry_date, expires_in, dsl_execution_id and fields of your own", pointer: "/\(key)")
            }
            if !HumanSession.knownFields.contains(key) { next.extra[key] = value }
        }
        if session.status.isFinal {
            throw PlexusError(.conflict, "session \(session.id) is \(session.status.rawValue); it can no longer be changed")
        }
        if changes["expiry_date"] != nil || changes["expires_in"] != nil {
            var object = changes
            object.removeAll { !["expiry_date", "expires_in"].contains($0.key) }
            next.expiresAt = try SessionDraft.expiry(object, now: now)
        }
        if let id = changes["dsl_execution_id"] { next.dslExecutionID = id }
        guard next != session else { return unchanged(session) }
        return changed(&next, now: now, effects: [.notify("session.updated")])
    }
}
