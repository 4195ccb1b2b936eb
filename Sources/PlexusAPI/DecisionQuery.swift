import PlexusCore
import PlexusStore

/// `GET /v1/messages?decision=...`: the audit view of the constraint checker's decisions.
///
/// `allowed`, `routed` and `tagged` messages are in the log with their `policy_decision`; the
/// stores do not index it, so pages of the ordinary query are read and filtered here, a bounded
/// number per request (the reply's cursor continues where the scan stopped). `denied` messages
/// were never accepted into the log: they are dead letters, read newest first from there.
enum DecisionQuery {
    /// Store pages read per request before handing back what matched so far.
    static let maxPages = 20
    /// Dead letters looked at for `decision=denied`.
    static let deadLetterWindow = 2_000

    static func page(_ query: MessageQuery, store: any MessageStore) async throws -> MessagePage {
        guard let decision = query.decision else { return try await store.query(query) }
        if decision == "denied" { return try await denied(query, store: store) }
        var inner = query
        inner.decision = nil
        inner.limit = MessageQuery.maxLimit
        var found: [StoredMessage] = []
        for _ in 0..<maxPages {
            let page = try await store.query(inner)
            for message in page.messages where decisionOf(message.json) == decision {
                found.append(message)
                if found.count == query.limit {
                    return MessagePage(messages: found, nextCursor: QueryCursor(originTS: message.originTS, seq: message.seq))
                }
            }
            guard let next = page.nextCursor else { return MessagePage(messages: found, nextCursor: nil) }
            inner.cursor = next
        }
        return MessagePage(messages: found, nextCursor: inner.cursor)
    }

    /// The decision recorded in a logged message, read only when the bytes mention one.
    static func decisionOf(_ json: [UInt8]) -> String? {
        let marker = Array("\"policy_decision\"".utf8)
        guard json.firstRange(of: marker) != nil, let value = try? JSONParser.parse(json) else { return nil }
        return value["policy_decision"]?["decision"]?.stringValue
    }

    static func denied(_ query: MessageQuery, store: any MessageStore) async throws -> MessagePage {
        var found: [StoredMessage] = []
        for letter in try await store.deadLetters(limit: deadLetterWindow) {
            guard let json = letter.json, let value = try? JSONParser.parse(json),
                  value["policy_decision"]?["decision"]?.stringValue == "denied",
                  let draft = try? EnvelopeDecoder.decode(value, limits: .default), let id = draft.messageID
            else { continue }
            var rng = SystemRandomNumberGenerator()
            let envelope = draft.normalized(node: "", now: letter.at, rng: &rng, addHop: false)
            guard query.matches(envelope) else { continue }
            if let cursor = query.cursor, (envelope.originTS, 0) >= (cursor.originTS, cursor.seq) { continue }
            found.append(StoredMessage(seq: 0, messageID: id, originTS: envelope.originTS, role: .origin, json: json,
                                       topic: envelope.topic.value))
            if found.count == query.limit { break }
        }
        return MessagePage(messages: found, nextCursor: nil)
    }
}
