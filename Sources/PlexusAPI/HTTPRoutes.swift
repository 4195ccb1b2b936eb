import Foundation
import Hummingbird
import NIOCore
import PlexusCore
import PlexusStore

/// The plain HTTP routes: the v1 API, the original system's routes (API-COMPAT.md) and health.
public enum HTTPRoutes {
    public static func router(_ deps: APIDependencies) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ProblemMiddleware())

        router.get("/healthz") { _, _ in
            let stats = deps.hub.stats
            let inboxes = deps.inboxes.stats
            let store = deps.storeHealth()
            return Response.json([
                "status": store["degraded"] == .bool(true) ? "degraded" : "ok",
                "node": .string(deps.node),
                // The log: PostgreSQL reachable or not, messages spooled locally (docs/postgres.md).
                "store": .object(store),
                "stream": [
                    "clients": .integer(Int64(stats.subscribers)),
                    "delivered": .integer(Int64(stats.delivered)),
                    "slow_clients_closed": .integer(Int64(stats.slowClientsClosed)),
                ],
                // Subject sessions: messages delivered here and not acknowledged yet.
                "inboxes": [
                    "subjects": .integer(Int64(inboxes.subjects)),
                    "pending": .integer(Int64(inboxes.pending)),
                    "dropped": .integer(Int64(inboxes.dropped)),
                ],
                // Local Redis / NATS bridges: connected, lag, errors (docs/edges.md).
                "edges": .array(deps.edgeHealth()),
            ])
        }

        // v1: ingest one message or a batch; 202 once every message is durable in the log.
        router.post("/v1/messages") { request, context in
            let receipts = try await ingest(request, context: context, deps: deps, via: .http)
            return Response.json(MessageReplies.accepted(receipts), status: .accepted)
        }
        router.get("/v1/messages/:uuid") { _, context in
            let id = try messageID(context)
            return try await routedEnvelopeResponse(id, deps: deps)
        }
        router.get("/v1/messages") { request, _ in
            let query = try problem { () throws(PlexusError) in try MessageQuery.parse(queryPairs(request)) }
            return Response.json(MessageReplies.page(try await DecisionQuery.page(query, store: deps.store)))
        }

        // Original gateway: `{"message": "<json string>"}` or the object itself.
        router.post("/MESSAGES") { request, context in
            let receipts = try await ingest(request, context: context, deps: deps, via: .compatHTTP)
            return Response.json(MessageReplies.compatAccepted(receipts))
        }
        // Original message logger.
        router.get("/messages/subject/:subject") { request, context in
            let subject = try pathParameter(context, "subject")
            var pairs = queryPairs(request).filter { $0.0 == "limit" }
            if pairs.isEmpty { pairs = [("limit", String(MessageQuery.maxLimit))] }
            var query = try problem { () throws(PlexusError) in try MessageQuery.parse(pairs) }
            query.subject = subject
            let page = try await deps.store.query(query)
            return Response.json(MessageReplies.array(page.messages))
        }
        router.get("/messages/:uuid") { _, context in
            let id = try messageID(context)
            return try await envelopeResponse(id, deps: deps)
        }
        if let mesh = deps.mesh {
            RegistryRoutes.add(to: router, mesh: mesh, limit: deps.limits.maxBodyBytes)
        }
        if let config = deps.config {
            ConfigRoutes.add(to: router, config: config, limit: deps.limits.maxBodyBytes)
            ConfigCompatRoutes.add(to: router, config: config, limit: deps.limits.maxBodyBytes)
            ChannelRoutes.add(to: router, config: config, sessions: deps.sessions, sender: deps.channelSender, limit: deps.limits.maxBodyBytes)
            if let sessions = deps.sessions {
                CallbackRoutes.add(to: router, config: config, sessions: sessions, clock: deps.clock, limit: deps.limits.maxBodyBytes)
            }
        }
        if let sessions = deps.sessions {
            SessionRoutes.add(to: router, sessions: sessions, limit: deps.limits.maxBodyBytes)
            InboxRoutes.add(to: router, sessions: sessions, node: deps.node, limit: deps.limits.maxBodyBytes)
        }
        if let deliveries = deps.webhookDeliveries {
            router.get("/v1/webhooks/:name/deliveries") { request, context in
                var limit = 100
                if let text = request.uri.queryParameters["limit"] {
                    guard let n = Int(text), (1...1_000).contains(n) else {
                        throw Problem(PlexusError(.invalidQuery, "\"limit\" must be an integer from 1 to 1000, got \"\(text)\""))
                    }
                    limit = n
                }
                let name = try pathParameter(context, "name")
                guard let log = try await deliveries(name, limit) else {
                    throw Problem(PlexusError(.notFound, "no webhook \"\(name)\" was ever configured"))
                }
                return Response.json(log)
            }
        }
        PushRoutes.add(to: router, deps: deps)
        return router
    }

    /// Reads the body within the limit and runs it through the node's ingest path.
    static func ingest(
        _ request: Request,
        context: BasicRequestContext,
        deps: APIDependencies,
        via ingress: Ingress
    ) async throws -> [IngestReceipt] {
        let body = try await collectBody(request, limit: deps.limits.maxBodyBytes)
        do {
            return try await deps.ingestor.ingest(body, via: ingress)
        } catch {
            throw Problem(error)
        }
    }

    /// The whole request body, within `limit` bytes; anything larger is a 413 problem.
    static func collectBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        // Refuse an announced oversize body before reading a byte of it (RELIABILITY B1).
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw Problem(PlexusError(.tooLarge, "the body is \(declared) bytes; the limit is \(limit)"))
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem(PlexusError(.tooLarge, "the body is larger than the limit of \(limit) bytes"))
        }
    }

    static func envelopeResponse(_ id: MessageID, deps: APIDependencies) async throws -> Response {
        guard let stored = try await deps.store.message(id: id) else {
            throw Problem(PlexusError(.notFound, "no message with message_uuid \(id) in this node's log"))
        }
        return Response.json(stored.json)
    }

    /// The v1 form adds `route`: why this node logged the message (`origin`, `relay`,
    /// `destination`) and the path it took to get here (its `hops`, as node ids).
    static func routedEnvelopeResponse(_ id: MessageID, deps: APIDependencies) async throws -> Response {
        guard let stored = try await deps.store.message(id: id) else {
            throw Problem(PlexusError(.notFound, "no message with message_uuid \(id) in this node's log"))
        }
        guard case .object(var object) = try JSONParser.parse(stored.json) else { return Response.json(stored.json) }
        let path: [JSONValue] = object["hops"]?.arrayValue?.compactMap { $0["node"] } ?? []
        object["route"] = ["role": .string(stored.role.rawValue), "node": .string(deps.node), "path": .array(path)]
        return Response.json(JSONValue.object(object).serialized())
    }

    static func messageID(_ context: BasicRequestContext) throws -> MessageID {
        let text = try pathParameter(context, "uuid")
        guard let id = MessageID(string: text) else {
            throw Problem(PlexusError(.invalidQuery, "\"\(text)\" is not a UUID (expected 8-4-4-4-12 hex digits)"))
        }
        return id
    }

    static func pathParameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else {
            throw Problem(PlexusError(.invalidQuery, "missing path parameter \(name)"))
        }
        return raw.removingPercentEncoding ?? raw
    }

    static func queryPairs(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    /// Runs core validation, turning its error into a problem response.
    static func problem<T>(_ body: () throws(PlexusError) -> T) throws(Problem) -> T {
        do { return try body() } catch { throw Problem(error) }
    }
}
