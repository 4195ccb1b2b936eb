import Foundation
import Hummingbird
import NIOCore
import PlexusCore

/// The registry API, served on every node from its gossiped copy: `/v1/nodes`, `/v1/subjects`,
/// `/v1/backbones`, `/v1/mesh`, and the original backbone routes (API-COMPAT.md). Writes become
/// entries signed and owned by this node.
enum RegistryRoutes {
    static func add(to router: Router<BasicRequestContext>, mesh: any MeshAccess, limit: Int) {
        router.get("/v1/mesh") { _, _ in Response.json(RegistryJSON.mesh(try await mesh.view())) }
        router.get("/v1/routes") { _, _ in Response.json(try await mesh.routes()) }

        router.get("/v1/nodes") { _, _ in
            let view = try await mesh.view()
            return Response.json(["nodes": .array(view.entries(.node).map { RegistryJSON.node($0, in: view) })])
        }
        router.get("/v1/nodes/:org/:cluster/:name") { _, context in
            let id = try ["org", "cluster", "name"].map { try HTTPRoutes.pathParameter(context, $0) }.joined(separator: "/")
            let view = try await mesh.view()
            guard let entry = view.entries(.node).first(where: { $0.key.owner.rawValue == id }) else {
                throw Problem(PlexusError(.notFound, "no node \(id) in this node's registry"))
            }
            return Response.json(RegistryJSON.node(entry, in: view, certificate: true))
        }

        router.get("/v1/subjects") { _, _ in
            let view = try await mesh.view()
            return Response.json(["subjects": .array(view.entries(.subject).map(RegistryJSON.subject))])
        }
        router.get("/v1/subjects/:id") { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let homes = try await mesh.view().entries(.subject).filter { $0.key.id == id }
            guard !homes.isEmpty else { throw Problem(PlexusError(.notFound, "no subject \(id) in this node's registry")) }
            return Response.json(["id": .string(id), "homes": .array(homes.map(RegistryJSON.subject))])
        }
        router.put("/v1/subjects/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await readJSON(request, limit: limit)
            let value = try HTTPRoutes.problem { () throws(PlexusError) in try SubjectRecord.validate(id: id, body: body) }
            try await mesh.publish(kind: .subject, id: id, value: value)
            return Response.json(value)
        }
        router.delete("/v1/subjects/:id") { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let view = try await mesh.view()
            guard view.entries(.subject).contains(where: { $0.key.id == id && $0.key.owner == view.node }) else {
                throw Problem(PlexusError(.notFound, "subject \(id) is not homed at this node"))
            }
            try await mesh.publish(kind: .subject, id: id, value: nil)
            return Response(status: .noContent)
        }

        router.get("/v1/backbones") { _, _ in
            let records = BackboneRecord.newest(of: try await mesh.view().entries(.backbone)).filter { !$0.deleted }
            return Response.json(["backbones": .array(records.map(RegistryJSON.backbone))])
        }
        router.get("/v1/backbones/:id") { _, context in
            let record = try await backbone(try HTTPRoutes.pathParameter(context, "id"), mesh)
            return Response.json(RegistryJSON.backbone(record))
        }
        BackboneWrites.add(to: router, mesh: mesh, limit: limit)
    }

    /// The request body as JSON, within `limit` bytes; errors are problem responses.
    static func readJSON(_ request: Request, limit: Int) async throws -> JSONValue {
        let body = try await HTTPRoutes.collectBody(request, limit: limit)
        do {
            return try JSONParser.parse(body.readableBytesView)
        } catch {
            throw Problem(PlexusError(.invalidJSON, error.message))
        }
    }

    static func backbone(_ id: String, _ mesh: any MeshAccess) async throws -> BackboneRecord {
        let records = BackboneRecord.newest(of: try await mesh.view().entries(.backbone).filter { $0.key.id == id })
        guard let record = records.first, !record.deleted else {
            throw Problem(PlexusError(.notFound, "no backbone with system_id \(id)"))
        }
        return record
    }
}
