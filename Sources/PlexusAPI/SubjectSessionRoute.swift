import Hummingbird
import HummingbirdWebSocket
import NIOCore
import PlexusCore

/// `WS /v1/subjects/{subject_id}/session`: an agent (or a human's client) connects as its
/// subject. The subject is announced in the registry as homed at this node, so messages
/// addressed to it anywhere in the mesh are routed here. The server sends each message's wire
/// JSON as a text frame; the client acknowledges with `{"ack": "<message_uuid>"}` (or a list).
/// Unacknowledged messages are sent again when the subject reconnects.
enum SubjectSessionRoute {
    static func add(to router: Router<BasicWebSocketRequestContext>, deps: APIDependencies) {
        router.ws("/v1/subjects/:subject_id/session") { inbound, outbound, context in
            let subject = context.requestContext.parameters.get("subject_id") ?? ""
            let kind = HTTPRoutes.queryPairs(context.request).first { $0.0 == "kind" }?.1 ?? "agent"
            let record: JSONValue
            do throws(PlexusError) {
                record = try SubjectRecord.validate(id: subject, body: ["kind": .string(kind)])
            } catch {
                try await refuse(error, outbound)
                return
            }
            // The inbox opens before the subject is announced: nothing routed here in between is missed.
            let (session, frames) = deps.inboxes.connect(subject)
            defer { deps.inboxes.disconnect(subject, session: session) }
            do {
                try await deps.mesh?.publish(kind: .subject, id: subject, value: record)
            } catch {
                try await refuse(PlexusError(.unavailable, "the mesh is not running yet; the subject cannot be announced, retry later"), outbound)
                return
            }
            try await serve(subject, frames: frames, inbound: inbound, outbound: outbound, inboxes: deps.inboxes)
        }
    }

    /// One problem frame, then close 1008: a refused upgrade carries no body in most clients.
    static func refuse(_ error: PlexusError, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(Problem(error).json.jsonString))
        try await outbound.close(.policyViolation, reason: WebSocketRoutes.closeReason(error.message))
    }

    static func serve(_ subject: String, frames: AsyncStream<ByteBuffer>, inbound: WebSocketInboundStream,
                      outbound: WebSocketOutboundWriter, inboxes: SubjectInboxes) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if let problem = acknowledge(text, subject: subject, inboxes: inboxes) {
                            try await outbound.write(.text(problem.json.jsonString))
                        }
                    }
                } catch {}
            }
            group.addTask {
                do {
                    for await frame in frames {
                        try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame)))
                    }
                } catch {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Applies one ack frame; a problem to send back when it is not one.
    static func acknowledge(_ text: String, subject: String, inboxes: SubjectInboxes) -> Problem? {
        guard let value = try? JSONParser.parse(Array(text.utf8)), let ack = value["ack"] else {
            return Problem(PlexusError(.invalidJSON, "a session frame must be {\"ack\": \"<message_uuid>\"} or {\"ack\": [...]}"))
        }
        let ids: [JSONValue] = if case .array(let list) = ack { list } else { [ack] }
        for raw in ids {
            guard let s = raw.stringValue, let id = MessageID(string: s) else {
                return Problem(PlexusError(.invalidField, "\"ack\" must hold message_uuid strings", pointer: "/ack"))
            }
            inboxes.ack(subject, id)
        }
        return nil
    }
}
