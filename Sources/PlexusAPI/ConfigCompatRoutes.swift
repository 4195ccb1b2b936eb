import Foundation
import Hummingbird
import PlexusCore

/// The original config store's routes (API-COMPAT.md), kept field for field, as thin adapters
/// onto the mesh-wide `ConfigStore`: `topics_data` (a subject's topic group), `messaging_config`
/// (topic-scoped settings) and `global_config`.
enum ConfigCompatRoutes {
    static func add(to router: Router<BasicRequestContext>, config: ConfigStore, limit: Int) {
        // topics_data: {"subject_id", "topic_ids": [...]}, keyed by subject.
        router.post("/topics_data") { request, _ in
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            let subject = try optionalString(body, "subject_id") ?? UUID().uuidString.lowercased()
            let record = try topicsRecord(subject, body)
            _ = try await ConfigRoutes.put(config, try ConfigRoutes.key(.topicsData, subject), record, request)
            return Response.json(record, status: .created)
        }
        router.put("/topics_data/:subject") { request, context in
            let subject = try HTTPRoutes.pathParameter(context, "subject")
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            if let given = try optionalString(body, "subject_id"), given != subject {
                throw Problem(PlexusError(.invalidField, "subject_id \(given) in the body differs from \(subject) in the path", pointer: "/subject_id"))
            }
            let record = try topicsRecord(subject, body)
            _ = try await ConfigRoutes.put(config, try ConfigRoutes.key(.topicsData, subject), record, request)
            return Response.json(record)
        }
        router.get("/topics_data/:subject") { _, context in
            Response.json(try ConfigRoutes.item(config, .topicsData, try HTTPRoutes.pathParameter(context, "subject")).value ?? .null)
        }
        router.get("/topics_data") { _, _ in
            Response.json(.array(config.list(.topicsData).compactMap(\.value)))
        }

        // messaging_config: {"topic_id", "config_name", "config_value"}, keyed by topic and name.
        router.post("/messaging_config") { request, _ in
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            guard let topic = try optionalString(body, "topic_id") else {
                throw Problem(PlexusError(.invalidField, "\"topic_id\" is required", pointer: "/topic_id"))
            }
            return try await putMessagingConfig(config, topic: topic, body, request, status: .created)
        }
        router.put("/messaging_config/:topic") { request, context in
            let topic = try HTTPRoutes.pathParameter(context, "topic")
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            return try await putMessagingConfig(config, topic: topic, body, request, status: .ok)
        }
        router.get("/messaging_config/:topic") { _, context in
            let topic = try HTTPRoutes.pathParameter(context, "topic")
            let records = config.list(.messagingConfig).filter { $0.key.name.hasPrefix(topic + "/") }.compactMap(\.value)
            return Response.json(.array(records))
        }
        router.get("/messaging_config/:topic/:name") { _, context in
            let name = try HTTPRoutes.pathParameter(context, "topic") + "/" + HTTPRoutes.pathParameter(context, "name")
            return Response.json(try ConfigRoutes.item(config, .messagingConfig, name).value ?? .null)
        }

        // global_config: {"config_name", "config_value"} (also "name" / "value").
        router.post("/global_config") { request, _ in
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            guard let name = try optionalString(body, "config_name") ?? optionalString(body, "name") else {
                throw Problem(PlexusError(.invalidField, "\"config_name\" is required", pointer: "/config_name"))
            }
            return try await putGlobal(config, name: name, body, request, status: .created)
        }
        router.put("/global_config/:name") { request, context in
            let body = try fields(try await RegistryRoutes.readJSON(request, limit: limit))
            return try await putGlobal(config, name: try HTTPRoutes.pathParameter(context, "name"), body, request, status: .ok)
        }
        router.get("/global_config/:name") { _, context in
            Response.json(try ConfigRoutes.item(config, .globalConfig, try HTTPRoutes.pathParameter(context, "name")).value ?? .null)
        }
        router.get("/global_config") { _, _ in
            Response.json(.array(config.list(.globalConfig).compactMap(\.value)))
        }
    }

    static func fields(_ body: JSONValue) throws -> JSONObject {
        guard case .object(let object) = body else {
            throw Problem(PlexusError(.invalidField, "the body must be a JSON object"))
        }
        return object
    }

    static func optionalString(_ body: JSONObject, _ field: String) throws -> String? {
        guard let value = body[field], !value.isNull else { return nil }
        guard case .string(let text) = value, !text.isEmpty else {
            throw Problem(PlexusError(.invalidField, "\"\(field)\" must be a non-empty string", pointer: "/\(field)"))
        }
        return text
    }

    static func topicsRecord(_ subject: String, _ body: JSONObject) throws -> JSONValue {
        guard case .array(let topics)? = body["topic_ids"], topics.allSatisfy({ $0.stringValue != nil }) else {
            throw Problem(PlexusError(.invalidField, "\"topic_ids\" must be an array of strings", pointer: "/topic_ids"))
        }
        return ["subject_id": .string(subject), "topic_ids": .array(topics)]
    }

    static func putMessagingConfig(_ config: ConfigStore, topic: String, _ body: JSONObject, _ request: Request,
                                   status: HTTPResponse.Status) async throws -> Response {
        guard let name = try optionalString(body, "config_name") else {
            throw Problem(PlexusError(.invalidField, "\"config_name\" is required", pointer: "/config_name"))
        }
        guard let value = body["config_value"] else {
            throw Problem(PlexusError(.invalidField, "\"config_value\" is required", pointer: "/config_value"))
        }
        let record: JSONValue = ["topic_id": .string(topic), "config_name": .string(name), "config_value": value]
        _ = try await ConfigRoutes.put(config, try ConfigRoutes.key(.messagingConfig, topic + "/" + name), record, request)
        return Response.json(record, status: status)
    }

    static func putGlobal(_ config: ConfigStore, name: String, _ body: JSONObject, _ request: Request,
                          status: HTTPResponse.Status) async throws -> Response {
        guard let value = body["config_value"] ?? body["value"] else {
            throw Problem(PlexusError(.invalidField, "\"config_value\" is required", pointer: "/config_value"))
        }
        let record: JSONValue = ["config_name": .string(name), "config_value": value]
        _ = try await ConfigRoutes.put(config, try ConfigRoutes.key(.globalConfig, name), record, request)
        return Response.json(record, status: status)
    }
}
