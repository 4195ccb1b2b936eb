import Hummingbird
import PlexusCore

/// `PUT/GET/DELETE /v1/subscriptions/{id}` and `GET /v1/subscriptions`: HTTP push
/// subscriptions (see `PushSubscriptions`).
enum PushRoutes {
    static func add(to router: Router<BasicRequestContext>, deps: APIDependencies) {
        guard let pushes = deps.pushes else { return }
        router.get("/v1/subscriptions") { _, _ in
            Response.json(JSONValue.object(["subscriptions": .array(pushes.all.map(\.json))]))
        }
        router.get("/v1/subscriptions/:id") { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            guard let subscription = pushes.subscription(id) else {
                throw Problem(PlexusError(.notFound, "no push subscription \"\(id)\" on this node"))
            }
            return Response.json(subscription.json)
        }
        router.put("/v1/subscriptions/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await HTTPRoutes.collectBody(request, limit: 64 << 10)
            let subscription = try HTTPRoutes.problem { () throws(PlexusError) -> PushSubscriptions.Subscription in
                let value: JSONValue
                do throws(JSONError) { value = try JSONParser.parse(Array(buffer: body), limits: JSONLimits(maxDepth: 32)) } catch { throw PlexusError(.invalidJSON, error.message) }
                return try PushSubscriptions.Subscription.parse(id: id, body: value)
            }
            if let subject = subscription.subject {
                // Messages for the subject are routed here from anywhere in the mesh.
                let record = try HTTPRoutes.problem { () throws(PlexusError) in try SubjectRecord.validate(id: subject, body: [:]) }
                try await deps.mesh?.publish(kind: .subject, id: subject, value: record)
            }
            pushes.put(subscription)
            return Response.json(subscription.json)
        }
        router.delete("/v1/subscriptions/:id") { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            guard pushes.remove(id) else { throw Problem(PlexusError(.notFound, "no push subscription \"\(id)\" on this node")) }
            return Response(status: .noContent)
        }
    }
}
