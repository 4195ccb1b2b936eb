import Foundation
import Hummingbird
import PlexusCore

/// The original backbone routes (API-COMPAT.md): create, read, update, delete and the
/// `POST /backbones` equality query, plus the v1 writes. Every write is a new registry entry
/// owned by this node, stamped with the wall clock so the newest write wins across owners.
enum BackboneWrites {
    static func add(to router: Router<BasicRequestContext>, mesh: any MeshAccess, limit: Int) {
        let create: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            var fields = try HTTPRoutes.problem { () throws(PlexusError) in try BackboneRecord.validate(body) }
            if fields["system_id"] == nil || fields["system_id"] == .null {
                _ = fields.updateValue(.string(UUID().uuidString.lowercased()), forKey: "system_id", insertingAt: 0)
            }
            let id = fields["system_id"]?.stringValue ?? ""
            let record = try await write(fields, id: id, deleted: false, mesh: mesh)
            return Response.json(RegistryJSON.backbone(record), status: .created)
        }
        router.post("/backbone", use: create)
        router.post("/v1/backbones", use: create)

        router.get("/backbone/:id") { _, context in
            let record = try await RegistryRoutes.backbone(try HTTPRoutes.pathParameter(context, "id"), mesh)
            return Response.json(.object(record.fields))
        }
        let update: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            let changes = try HTTPRoutes.problem { () throws(PlexusError) in try BackboneRecord.validate(body) }
            if let given = changes["system_id"]?.stringValue, given != id {
                throw Problem(PlexusError(.invalidField, "system_id \(given) in the body differs from \(id) in the path", pointer: "/system_id"))
            }
            var fields = try await RegistryRoutes.backbone(id, mesh).fields
            for (key, value) in changes { fields[key] = value }
            let record = try await write(fields, id: id, deleted: false, mesh: mesh)
            return Response.json(RegistryJSON.backbone(record))
        }
        router.put("/backbone/:id", use: update)
        router.put("/v1/backbones/:id", use: update)

        let delete: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let current = try await RegistryRoutes.backbone(id, mesh)
            _ = try await write(current.fields, id: id, deleted: true, mesh: mesh)
            return Response.json(["deleted": .string(id)])
        }
        router.delete("/backbone/:id", use: delete)
        router.delete("/v1/backbones/:id", use: delete)

        router.post("/backbones") { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            guard case .object(let filter) = body else {
                throw Problem(PlexusError(.invalidField, "the query must be a JSON object of field equalities"))
            }
            for key in filter.keys where !BackboneRecord.fieldNames.contains(key) {
                throw Problem(PlexusError(.invalidField, "unknown backbone field \"\(key)\"", pointer: "/\(key)"))
            }
            let records = BackboneRecord.newest(of: try await mesh.view().entries(.backbone)).filter { !$0.deleted && $0.matches(filter) }
            return Response.json(.array(records.map { .object($0.fields) }))
        }
    }

    /// Publishes `fields` as this node's entry for backbone `id`, newer than any record of it
    /// this node has seen (so a clock behind another node's still supersedes what it read).
    static func write(_ fields: JSONObject, id: String, deleted: Bool, mesh: any MeshAccess) async throws -> BackboneRecord {
        let view = try await mesh.view()
        let seen = BackboneRecord.newest(of: view.entries(.backbone).filter { $0.key.id == id }).first?.updatedAt ?? 0
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let record = BackboneRecord(fields: fields, owner: view.node, updatedAt: max(now, seen + 1), deleted: deleted)
        try await mesh.publish(kind: .backbone, id: id, value: record.payload)
        return record
    }
}
