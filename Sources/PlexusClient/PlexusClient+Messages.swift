import Foundation
import PlexusCore

/// Messages: `POST /v1/messages`, `GET /v1/messages[/{uuid}]`.
extension PlexusClient {
    /// Publishes one message and returns its `message_uuid` once the node has it durably logged
    /// (the node answers 202 only then).
    ///
    /// - Parameters:
    ///   - to: `destination_subject_ids`; empty means whoever subscribes to the topic.
    ///   - from: `source_subject_id`, the subject sending.
    ///   - metadata: `message_metadata`, kept with the message but not part of its data.
    ///   - messageID: pass your own id to make a retry idempotent (the node drops a duplicate);
    ///     nil lets the node assign a UUIDv7.
    /// - Throws: `http` when the node refuses it (bad topic, policy, template, rate limit), with the
    ///   problem's `type` and `pointer`; `refused` when it was accepted but dead-lettered.
    @discardableResult
    public func send(
        topic: String,
        data: JSONValue,
        to subjects: [String] = [],
        from subject: String? = nil,
        metadata: JSONObject? = nil,
        messageID: MessageID? = nil
    ) async throws(PlexusClientError) -> MessageID {
        var envelope: JSONObject = ["topic": .string(topic), "message_data": data]
        if let messageID { envelope["message_uuid"] = .string(messageID.description) }
        if let subject { envelope["source_subject_id"] = .string(subject) }
        if !subjects.isEmpty { envelope["destination_subject_ids"] = .array(subjects.map { .string($0) }) }
        if let metadata, !metadata.isEmpty { envelope["message_metadata"] = .object(metadata) }
        let ids = try await post(body: .object(envelope), count: 1)
        return ids[0]
    }

    /// Publishes envelopes as they are (any shape the node accepts) in one request, all durable
    /// before it returns; the ids come back in the same order.
    @discardableResult
    public func send(_ messages: [JSONValue]) async throws(PlexusClientError) -> [MessageID] {
        guard !messages.isEmpty else { return [] }
        return try await post(body: .array(messages), count: messages.count)
    }

    /// One logged message with its `route` (why this node has it and the hops it took); nil when
    /// this node's log does not hold it.
    public func message(_ id: MessageID) async throws(PlexusClientError) -> JSONValue? {
        do {
            return try await callJSON(.get, "/v1/messages/\(id)")
        } catch where error.code == .http && error.status == 404 {
            return nil
        }
    }

    /// The newest messages matching the filters, newest first. For more than one page use
    /// `messagePage`, which returns the cursor.
    ///
    /// - Parameters:
    ///   - topic: a topic or a pattern with NATS wildcards (`orders.*`, `agents.>`).
    ///   - subject: messages from or to this subject.
    ///   - since: inclusive; `until`: exclusive (by the message's `origin_ts`).
    ///   - limit: 1 to 1,000.
    ///   - decision: only `allowed`, `routed`, `tagged` (or `denied`, from the dead letters).
    public func messages(
        topic: String? = nil,
        subject: String? = nil,
        since: Date? = nil,
        until: Date? = nil,
        limit: Int = 100,
        decision: String? = nil
    ) async throws(PlexusClientError) -> [JSONValue] {
        try await messagePage(topic: topic, subject: subject, since: since, until: until, limit: limit, decision: decision).messages
    }

    /// One page of `GET /v1/messages`; pass the returned `nextCursor` back for the next page.
    public func messagePage(
        topic: String? = nil,
        subject: String? = nil,
        since: Date? = nil,
        until: Date? = nil,
        limit: Int = 100,
        decision: String? = nil,
        cursor: String? = nil
    ) async throws(PlexusClientError) -> MessagePage {
        var query: [(String, String)] = []
        if let topic { query.append(("topic", topic)) }
        if let subject { query.append(("subject", subject)) }
        if let since { query.append(("since", Self.rfc3339(since))) }
        if let until { query.append(("until", Self.rfc3339(until))) }
        query.append(("limit", String(limit)))
        if let decision { query.append(("decision", decision)) }
        if let cursor { query.append(("cursor", cursor)) }
        let json = try await callJSON(.get, "/v1/messages", query: query)
        guard let messages = json["messages"]?.arrayValue else {
            throw .invalidResponse("GET /v1/messages replied without a messages array: \(HumanSessionInfo.excerpt(json))")
        }
        return MessagePage(messages: messages, nextCursor: json["next_cursor"]?.stringValue)
    }

    /// Posts one envelope or a batch and reads the receipt `{"message_uuids": [...], "refused"?}`.
    func post(body: JSONValue, count: Int) async throws(PlexusClientError) -> [MessageID] {
        let json = try await callJSON(.post, "/v1/messages", body: body)
        let ids = (json["message_uuids"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { MessageID(string: $0) } }
        guard ids.count == count else {
            throw .invalidResponse("sent \(count) messages, the receipt names \(ids.count): \(HumanSessionInfo.excerpt(json))")
        }
        if let refused = json["refused"]?.arrayValue, !refused.isEmpty {
            let reasons = refused.compactMap { item -> String? in
                guard let id = item["message_uuid"]?.stringValue else { return nil }
                return "\(id): \(item["reason"]?.stringValue ?? "no reason given")"
            }
            var error = PlexusClientError(.refused, "the node accepted but could not store \(refused.count) of \(count) messages: " + reasons.joined(separator: "; "))
            error.reason = refused.first?["reason"]?.stringValue
            error.messageIDs = ids
            throw error
        }
        return ids
    }

    /// Query times as the node parses them: RFC 3339, microseconds, UTC.
    static func rfc3339(_ date: Date) -> String {
        Timestamp(seconds: date.timeIntervalSince1970).rfc3339
    }
}
