import Hummingbird
import HummingbirdWebSocket
import NIOCore
import PlexusCore

/// `WS /v1/subjects/{subject_id}/session`: an agent (or a human's client) connects as its
/// subject. The subject is announced in the registry as homed at this node, so messages
/// addressed to it anywhere in the mesh are routed here. The server sends each message's wire
/// JSON as a text frame — or, with `?frames=batch`, whatever is ready at once as one text frame
/// holding a JSON array of envelopes, up to 16 KiB a frame — and the client acknowledges with
/// `{"ack": "<message_uuid>"}` (or a list). Unacknowledged messages are sent again when the
/// subject reconnects.
enum SubjectSessionRoute {
    static func add(to router: Router<BasicWebSocketRequestContext>, deps: APIDependencies) {
        router.ws("/v1/subjects/:subject_id/session") { inbound, outbound, context in
            let subject = context.requestContext.parameters.get("subject_id") ?? ""
            let query = HTTPRoutes.queryPairs(context.request)
            let kind = query.first { $0.0 == "kind" }?.1 ?? "agent"
            let record: JSONValue
            let batch: Bool
            do throws(PlexusError) {
                record = try SubjectRecord.validate(id: subject, body: ["kind": .string(kind)])
                batch = try framing(query.first { $0.0 == "frames" }?.1)
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
            try await serve(subject, frames: frames, batch: batch, inbound: inbound, outbound: outbound, inboxes: deps.inboxes)
        }
    }

    /// `?frames=`: `single` (the default, one envelope per frame) or `batch`.
    static func framing(_ value: String?) throws(PlexusError) -> Bool {
        switch value {
        case nil, "single": return false
        case "batch": return true
        case let other?:
            throw PlexusError(.invalidField, "frames must be \"single\" or \"batch\", not \"\(other)\"", pointer: "/frames")
        }
    }

    /// The most a batch frame carries before the next one starts: 16 KiB, the smallest frame limit
    /// among common clients (Hummingbird's default `maxFrameSize`), and still two dozen
    /// envelopes of a typical size per frame.
    static let batchFrameBytes = 16 * 1024

    /// One problem frame, then close 1008: a refused upgrade carries no body in most clients.
    static func refuse(_ error: PlexusError, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(Problem(error).json.jsonString))
        try await outbound.close(.policyViolation, reason: WebSocketRoutes.closeReason(error.message))
    }

    static func serve(_ subject: String, frames: SessionFrames, batch: Bool, inbound: WebSocketInboundStream,
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
                    while let ready = await frames.next() {
                        if batch {
                            var rest = ready[...]
                            while let frame = nextBatchFrame(&rest) {
                                try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame)))
                            }
                        } else {
                            for frame in ready { try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame))) }
                        }
                    }
                } catch {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The next batch frame: a JSON array of the first envelopes of `rest` up to `batchFrameBytes`
    /// (an envelope larger than that is an array of one), taken off `rest`; nil once it is empty.
    /// One frame at a time, so a reconnect's backlog of thousands is never copied whole.
    static func nextBatchFrame(_ rest: inout ArraySlice<ByteBuffer>) -> ByteBuffer? {
        guard let first = rest.first else { return nil }
        var size = first.readableBytes + 2
        var end = rest.startIndex + 1
        while end < rest.endIndex, size + rest[end].readableBytes + 1 <= batchFrameBytes {
            size += rest[end].readableBytes + 1
            end += 1
        }
        var frame = ByteBuffer()
        frame.reserveCapacity(size)
        frame.writeInteger(UInt8(ascii: "["))
        for (i, envelope) in rest[..<end].enumerated() {
            if i > 0 { frame.writeInteger(UInt8(ascii: ",")) }
            frame.writeImmutableBuffer(envelope)
        }
        frame.writeInteger(UInt8(ascii: "]"))
        rest = rest[end...]
        return frame
    }

    /// Applies one ack frame; a problem to send back when it is not one.
    static func acknowledge(_ text: String, subject: String, inboxes: SubjectInboxes) -> Problem? {
        if let ids = SessionAckFrame.ids(in: text.utf8) {
            inboxes.ack(subject, ids)
            return nil
        }
        // Not the plain shape: parse it properly, to ack what is valid the same way and to say
        // what is wrong.
        guard let value = try? JSONParser.parse(Array(text.utf8)), let ack = value["ack"] else {
            return Problem(PlexusError(.invalidJSON, "a session frame must be {\"ack\": \"<message_uuid>\"} or {\"ack\": [...]}"))
        }
        let ids: [JSONValue] = if case .array(let list) = ack { list } else { [ack] }
        var valid: [MessageID] = []
        defer { inboxes.ack(subject, valid) }
        for raw in ids {
            guard let s = raw.stringValue, let id = MessageID(string: s) else {
                return Problem(PlexusError(.invalidField, "\"ack\" must hold message_uuid strings", pointer: "/ack"))
            }
            valid.append(id)
        }
        return nil
    }
}
