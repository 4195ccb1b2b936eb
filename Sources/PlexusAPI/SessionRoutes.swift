import Hummingbird
import PlexusCore
import PlexusSessions

/// Human-in-the-loop sessions over HTTP: the v1 routes (`/v1/sessions...`, with long-polling)
/// and the original ones (`/session`, `/sessions`), both onto one `SessionService`.
enum SessionRoutes {
    /// Longest long-poll a client may ask for; a proxy in between would cut a longer one anyway.
    static let maxWait = 120.0

    static func add(to router: Router<BasicRequestContext>, sessions: SessionService, limit: Int) {
        let create: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            let (session, created) = try await sessions.create(body)
            return Response.json(session.json, status: created ? .created : .ok)
        }
        router.post("/v1/sessions", use: create)
        router.post("/session", use: create)

        router.get("/v1/sessions") { request, _ in
            let pairs = HTTPRoutes.queryPairs(request)
            var status: SessionStatus?, subject: String?, count = 100
            for (name, value) in pairs {
                switch name {
                case "status":
                    guard let known = SessionStatus(rawValue: value) else {
                        throw PlexusError(.invalidQuery, "status must be one of \(SessionStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    status = known
                case "subject_id": subject = value
                case "limit":
                    guard let number = Int(value), (1...SessionStore.maxList).contains(number) else {
                        throw PlexusError(.invalidQuery, "limit must be an integer from 1 to \(SessionStore.maxList)")
                    }
                    count = number
                default: throw PlexusError(.invalidQuery, "unknown query parameter \(name); use status, subject_id or limit")
                }
            }
            let found = try await sessions.list(status: status, subject: subject, limit: count)
            return Response.json(["sessions": .array(found.map(\.json))])
        }
        router.get("/v1/sessions/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            var wait: Double?, version: Int64 = 0
            for (name, value) in HTTPRoutes.queryPairs(request) {
                switch name {
                case "wait":
                    guard let seconds = Double(value), seconds >= 0, seconds <= maxWait else {
                        throw PlexusError(.invalidQuery, "wait must be a number of seconds from 0 to \(Int(maxWait))")
                    }
                    wait = seconds
                case "version":
                    guard let number = Int64(value), number >= 0 else { throw PlexusError(.invalidQuery, "version must be a non-negative integer") }
                    version = number
                default: throw PlexusError(.invalidQuery, "unknown query parameter \(name); use wait and version")
                }
            }
            guard let wait else { return Response.json(try await sessions.session(id).json) }
            return Response.json(try await sessions.wait(id, after: version, timeout: .milliseconds(Int64(wait * 1000))).json)
        }
        router.get("/session/:id") { _, context in
            Response.json(try await sessions.session(try HTTPRoutes.pathParameter(context, "id")).json)
        }
        router.post("/v1/sessions/:id/reply") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            guard let data = body["response_data"] else {
                throw PlexusError(.invalidField, "response_data is required", pointer: "/response_data")
            }
            return Response.json(try await sessions.reply(id, data: data, approver: try approver(body)).json)
        }
        router.post("/v1/sessions/:id/decline") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await optionalBody(request, limit: limit)
            return Response.json(try await sessions.decline(id, reason: try reason(body), approver: try approver(body)).json)
        }
        router.post("/v1/sessions/:id/reject") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await optionalBody(request, limit: limit)
            return Response.json(try await sessions.reject(id, reason: try reason(body)).json)
        }
        router.put("/session/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            return Response.json(try await sessions.update(id, body).json)
        }
        let delete: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            try await sessions.delete(id)
            return Response.json(["success": true, "deleted": .string(id)])
        }
        router.delete("/session/:id", use: delete)
        router.delete("/v1/sessions/:id", use: delete)
        router.post("/sessions") { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            let filter = try DocumentFilter(body, fields: Set(sessionFields))
            return Response.json(.array(try await sessions.query(filter).map(\.json)))
        }
    }

    /// What `POST /sessions` may filter on: the document's fields.
    static let sessionFields = [
        "session_id", "subject_id", "reception_channel_id", "expiry_date", "status", "dsl_execution_id", "version", "created_at",
        "updated_at", "round", "quorum", "approvers", "result_message_uuid", "message_data", "response_data",
    ]

    static func optionalBody(_ request: Request, limit: Int) async throws -> JSONValue {
        let bytes = try await HTTPRoutes.collectBody(request, limit: limit)
        guard bytes.readableBytes > 0 else { return .object([:]) }
        do {
            return try JSONParser.parse(bytes.readableBytesView)
        } catch {
            throw PlexusError(.invalidJSON, error.message)
        }
    }

    static func reason(_ body: JSONValue) throws(PlexusError) -> String? {
        switch body["reason"] {
        case nil, .null?: return nil
        case .string(let text)? where text.utf8.count <= 4096: return text
        default: throw PlexusError(.invalidField, "reason must be a string of at most 4096 bytes", pointer: "/reason")
        }
    }

    static func approver(_ body: JSONValue) throws(PlexusError) -> String? {
        switch body["approver"] {
        case nil, .null?: return nil
        case .string(let name)? where !name.isEmpty && name.utf8.count <= 256: return name
        default: throw PlexusError(.invalidField, "approver must be a name of 1 to 256 bytes", pointer: "/approver")
        }
    }
}
