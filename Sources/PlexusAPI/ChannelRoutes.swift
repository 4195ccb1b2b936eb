import Foundation
import Hummingbird
import PlexusCore
import PlexusSessions

/// Human-in-the-loop channels: records in the mesh-wide configuration store (section
/// `channels`), served by the v1 routes (`/v1/channels/{id}`) and the original ones (`/channel`,
/// `/channels`, `/channel/message`). Reads hide secrets; the write that set them shows them.
enum ChannelRoutes {
    static func add(to router: Router<BasicRequestContext>, config: ConfigStore, sessions: SessionService?, sender: (any ChannelSender)?, limit: Int) {
        router.get("/v1/channels") { _, _ in Response.json(["channels": .array(channels(config).map(\.maskedJSON))]) }
        let read: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, context in
            Response.json(try channel(config, try HTTPRoutes.pathParameter(context, "id")).maskedJSON)
        }
        router.get("/v1/channels/:id", use: read)
        router.get("/channel/:id", use: read)
        let put: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            var body = try await RegistryRoutes.readJSON(request, limit: limit)
            // The original PUT sends only the fields to change.
            if request.uri.path.hasPrefix("/channel/"), let current = try? channel(config, id), case .object(let changes) = body,
               case .object(var merged) = current.json {
                for (key, value) in changes { merged[key] = value }
                body = .object(merged)
            }
            return try await write(config, id, body, request)
        }
        router.put("/v1/channels/:id", use: put)
        router.put("/channel/:id", use: put)
        router.post("/channel") { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            let id: String
            switch body["channel_id"] {
            case nil, .null?: id = UUID().uuidString.lowercased()
            case .string(let given)?: id = given
            default: throw PlexusError(.invalidField, "channel_id must be a string", pointer: "/channel_id")
            }
            return try await write(config, id, body, request)
        }
        let delete: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            _ = try channel(config, id)
            _ = try await ConfigRoutes.put(config, try ConfigRoutes.key(.channels, id), nil, request)
            return Response.json(["success": true, "deleted": .string(id)])
        }
        router.delete("/v1/channels/:id", use: delete)
        router.delete("/channel/:id", use: delete)
        router.post("/channels") { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            let filter = try DocumentFilter(body, fields: ChannelRecord.fieldNames)
            return Response.json(.array(channels(config).filter { $0.json.objectValue.map(filter.matches) ?? false }.map(\.maskedJSON)))
        }
        if let sender {
            // The original sessions system called this to hand a prompt to a channel.
            router.post("/channel/message") { request, _ in
                let body = try await RegistryRoutes.readJSON(request, limit: limit)
                guard let channelID = body["channel_id"]?.stringValue, let sessionID = body["session_id"]?.stringValue,
                      let responseURL = body["response_url"]?.stringValue, let message = body["message"] else {
                    throw PlexusError(.invalidField, "channel_id, session_id, message and response_url are required")
                }
                let record = try channel(config, channelID)
                var prompt = ChannelPrompt(sessionID: sessionID, subjectID: "", message: message, template: nil, responseURL: responseURL,
                                           inboxURL: responseURL)
                if let sessions, let session = try? await sessions.session(sessionID) {
                    prompt = sessions.prompt(for: session)
                    prompt.message = message
                    prompt.responseURL = responseURL
                }
                switch await sender.deliver(prompt, over: record) {
                case .delivered: return Response.json(["success": true])
                case .transient(let reason): throw PlexusError(.unavailable, "the channel did not take the message: \(reason)")
                case .permanent(let reason): throw PlexusError(.invalidField, "the channel refused the message: \(reason)")
                }
            }
        }
    }

    static func channels(_ config: ConfigStore) -> [ChannelRecord] {
        [ChannelRecord.inbox] + config.list(.channels).compactMap { item in item.value.flatMap { try? ChannelRecord(id: item.key.name, $0) } }
    }

    static func channel(_ config: ConfigStore, _ id: String) throws -> ChannelRecord {
        if id == ChannelRecord.inbox.id { return .inbox }
        guard let value = config.item(try ConfigRoutes.key(.channels, id))?.value else {
            throw PlexusError(.notFound, "no channel \(id)")
        }
        return try ChannelRecord(id: id, value)
    }

    /// 201 for a new channel, 200 for a change. The reply shows the secrets this write set or
    /// generated (a webhook channel's signing secret), once.
    static func write(_ config: ConfigStore, _ id: String, _ body: JSONValue, _ request: Request) async throws -> Response {
        if id == ChannelRecord.inbox.id { throw PlexusError(.conflict, "the inbox channel is built in") }
        let key = try ConfigRoutes.key(.channels, id)
        let existed = config.item(key) != nil
        let hadSecret = config.item(key)?.value?["channel_metadata"]?["secret"] != nil
        let item = try await ConfigRoutes.put(config, key, body, request)
        guard let value = item.value else { throw PlexusError(.internalError, "the channel was not stored") }
        let record = try ChannelRecord(id: id, value)
        // Shown: the secrets this request wrote, and a signing secret generated for it; every
        // other secret stays hidden (an original PUT sends only the fields it changes).
        var shown = record.maskedJSON
        let given = body["channel_metadata"]?.objectValue ?? [:]
        if case .object(var object) = shown, case .object(var metadata)? = object["channel_metadata"] {
            for field in record.kind.secretFields where given[field] != nil || (field == "secret" && !hadSecret) {
                metadata[field] = record.metadata[field]
            }
            object["channel_metadata"] = .object(metadata)
            shown = .object(object)
        }
        return Response.json(shown, status: existed ? .ok : .created)
    }
}
