import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import PlexusCore
import PlexusSessions

/// WebSocket endpoints: ingest (`/v1/messages/ws`, the original `/MESSAGES`) and the live stream
/// (`/v1/stream`, the original logger's `/`).
public enum WebSocketRoutes {
    public static func router(_ deps: APIDependencies) -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.ws("/v1/messages/ws") { inbound, outbound, _ in
            try await ingest(inbound: inbound, outbound: outbound, deps: deps, via: .webSocket)
        }
        router.ws("/MESSAGES") { inbound, outbound, _ in
            try await ingest(inbound: inbound, outbound: outbound, deps: deps, via: .compatWebSocket)
        }
        router.ws("/v1/stream") { inbound, outbound, context in
            let filter: StreamFilter
            do throws(PlexusError) {
                filter = try StreamFilter.parse(HTTPRoutes.queryPairs(context.request))
            } catch {
                // A refused upgrade carries no body in most WebSocket clients, so upgrade, say
                // what is wrong in one problem frame, and close with 1008.
                try await outbound.write(.text(Problem(error).json.jsonString))
                try await outbound.close(.policyViolation, reason: closeReason(error.message))
                return
            }
            try await stream(filter: filter, inbound: inbound, outbound: outbound, deps: deps)
        }
        SubjectSessionRoute.add(to: router, deps: deps)
        if let sessions = deps.sessions { SessionEventsRoute.add(to: router, sessions: sessions) }
        router.ws("/") { inbound, outbound, _ in
            try await stream(filter: .everything, inbound: inbound, outbound: outbound, deps: deps)
        }
        return router
    }

    /// One JSON ack frame per input frame, in input order. Up to the window, frames are read
    /// ahead of their acks, and the frames queued while earlier ones commit are ingested
    /// together (one append for all of them, each frame still answered alone), so a fast
    /// sender's throughput is not one commit per frame and its frames share each trip's cost.
    static func ingest(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        deps: APIDependencies,
        via ingress: Ingress
    ) async throws {
        let window = AsyncWindow(permits: deps.webSocketIngestWindow)
        // Two trips to the log at a time: one committing while the next is parsed and queued
        // behind it. What arrives meanwhile waits in `queued` and goes in the trip after.
        let trips = AsyncWindow(permits: 2)
        let queued = IngestFrameQueue()
        let (pending, continuation) = AsyncStream.makeStream(of: Task<[JSONValue], Never>.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Once an ack cannot be written (the client left), keep draining so every permit
                // comes back and the reader never waits for one that will not.
                var writable = true
                for await task in pending {
                    for ack in await task.value {
                        window.release()
                        guard writable else { continue }
                        do {
                            try await outbound.write(.custom(.init(fin: true, opcode: .text, data: ByteBuffer(bytes: ack.serialized()))))
                        } catch {
                            writable = false
                        }
                    }
                }
            }
            group.addTask {
                defer { continuation.finish() }
                while true {
                    // Cancelled (the server stops), the wait for a trip ends at once: what was
                    // read still goes to the ingestor, trip after trip, and is answered (with
                    // `unavailable` if the log has closed), never dropped unanswered.
                    let permitted = (try? await trips.acquire()) != nil
                    guard let frames = await queued.take(upTo: Self.framesPerTrip) else {
                        if permitted { trips.release() }
                        return
                    }
                    continuation.yield(Task {
                        defer { if permitted { trips.release() } }
                        let outcomes = await deps.ingestor.ingest(frames: frames, via: ingress)
                        // One ack per frame whatever the ingestor returned: each gives back a
                        // window permit, and a missing one would stall the reader for good.
                        return frames.indices.map { i in
                            MessageReplies.webSocketAck(i < outcomes.count ? outcomes[i]
                                : .failure(PlexusError(.unavailable, "the frame was not processed; send it again")))
                        }
                    })
                }
            }
            defer { queued.finish() }
            do {
                for try await message in inbound.messages(maxSize: deps.limits.maxBodyBytes) {
                    let body: ByteBuffer = switch message {
                    case .text(let text): ByteBuffer(string: text)
                    case .binary(let buffer): buffer
                    }
                    try await window.acquire()
                    queued.push(body)
                }
            } catch {
                // A message too large (1009; fragments adding up past the limit), not UTF-8
                // (1007), a protocol error: send the acks already owed, then rethrow so the
                // WebSocket layer closes with the code naming the cause. A single frame over the
                // limit never gets here: the frame decoder refuses it and closes at once.
                queued.finish()
                try? await group.waitForAll()
                throw error
            }
            queued.finish()
            try await group.waitForAll()
        }
    }

    /// Most frames one trip takes: bounds one append's size (a frame may hold a whole batch).
    static let framesPerTrip = 64

    /// Streams matching messages until the client leaves or falls too far behind; a client that
    /// fell behind is closed with 1008 (policy violation) and counted by the hub.
    static func stream(
        filter: StreamFilter,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        deps: APIDependencies
    ) async throws {
        let subscription = deps.hub.subscribe(filter)
        defer { deps.hub.unsubscribe(subscription) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Reading keeps control frames (ping, close) flowing; the client sends no data.
                do { for try await _ in inbound {} } catch {}
                subscription.end(.closed)
            }
            group.addTask {
                do {
                    while let frames = await subscription.next() {
                        for frame in frames {
                            try await outbound.write(.custom(.init(fin: true, opcode: .text, data: frame)))
                        }
                    }
                } catch {
                    subscription.end(.closed)
                }
            }
            // Ends the others when the hub drops this client as too slow while the writer is
            // blocked on a socket the client no longer reads.
            group.addTask { await subscription.ended() }
            await group.next()
            group.cancelAll()
        }
        if subscription.endReason == .tooSlow {
            // The close frame waits behind unread data; the client sees 1008 if it reads again.
            // Bounded so this handler never hangs on a client that is gone for good.
            let dropped = subscription.droppedFrames
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await outbound.close(.policyViolation, reason: "stream client too slow; \(dropped) messages dropped") }
                group.addTask { try? await Task.sleep(for: .seconds(2)) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// A close reason fits in 123 bytes (RFC 6455 §5.5); cut on a character boundary.
    static func closeReason(_ text: String) -> String {
        var reason = ""
        for character in text {
            if reason.utf8.count + character.utf8.count > 123 { break }
            reason.append(character)
        }
        return reason
    }
}
