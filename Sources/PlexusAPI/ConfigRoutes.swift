import HTTPTypes
import Hummingbird
import PlexusCore
import PlexusStore

/// The v1 configuration routes, mesh-wide: a write on any node applies on every node.
///
/// Typed routes per section — `/v1/topics/{topic}/template`, `/v1/policies/{name}`,
/// `/v1/limits/{name}`, `/v1/acls/{name}`, `/v1/webhooks/{id}` — each with PUT, GET and DELETE,
/// and GET without a name listing the section. `/v1/config/{section}[/{name}[/history]]` reads
/// any section generically and shows each item's version history (who changed what, when).
enum ConfigRoutes {
    /// The request header naming who made a change, recorded as the version's author.
    static let actorHeader = HTTPField.Name("X-Plexus-Actor")!

    static func add(to router: Router<BasicRequestContext>, config: ConfigStore, limit: Int) {
        let sections: [(path: String, section: ConfigSection)] = [
            ("/v1/policies", .policies), ("/v1/limits", .limits), ("/v1/acls", .acls), ("/v1/webhooks", .webhooks),
        ]
        for (path, section) in sections {
            router.get(RouterPath(path)) { _, _ in Response.json(.array(config.list(section).map { shown($0) })) }
            router.get(RouterPath(path + "/:name")) { _, context in
                Response.json(shown(try item(config, section, try HTTPRoutes.pathParameter(context, "name"))))
            }
            router.put(RouterPath(path + "/:name")) { request, context in
                let body = try await RegistryRoutes.readJSON(request, limit: limit)
                return try await write(config, section, try HTTPRoutes.pathParameter(context, "name"), body, request)
            }
            router.delete(RouterPath(path + "/:name")) { request, context in
                try await remove(config, section, try HTTPRoutes.pathParameter(context, "name"), request)
            }
        }
        router.get("/v1/templates") { _, _ in Response.json(.array(config.list(.templates).map(\.json))) }
        router.get("/v1/topics/:topic/template") { _, context in
            Response.json(try item(config, .templates, try HTTPRoutes.pathParameter(context, "topic")).json)
        }
        router.put("/v1/topics/:topic/template") { request, context in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            return try await write(config, .templates, try HTTPRoutes.pathParameter(context, "topic"), body, request)
        }
        router.delete("/v1/topics/:topic/template") { request, context in
            try await remove(config, .templates, try HTTPRoutes.pathParameter(context, "topic"), request)
        }

        router.get("/v1/config") { _, _ in
            let state = config.config
            var sections: JSONObject = [:]
            for section in ConfigSection.allCases { sections[section.rawValue] = .integer(Int64(state.live(section).count)) }
            return Response.json(["node": .string(config.node), "constraints": .string(state.constraintRevision), "sections": .object(sections)])
        }
        router.get("/v1/config/:section") { _, context in
            Response.json(.array(config.list(try section(context)).map { shown($0) }))
        }
        router.get("/v1/config/:section/:name") { _, context in
            Response.json(shown(try item(config, try section(context), try HTTPRoutes.pathParameter(context, "name"))))
        }
        router.get("/v1/config/:section/:name/history") { _, context in
            let key = try key(try section(context), try HTTPRoutes.pathParameter(context, "name"))
            let versions = config.history(key)
            guard !versions.isEmpty else { throw Problem(PlexusError(.notFound, "no configuration item \(key) was ever seen here")) }
            return Response.json(.array(versions.map { shown($0) }))
        }
    }

    /// An item as reads show it: webhook secrets are shown once, in the reply to the PUT that
    /// set them, and hidden from every read after (by count and a short fingerprint-free hint).
    static func shown(_ item: ConfigItem, reveal: Bool = false) -> JSONValue {
        if item.key.section == .channels, !reveal, let value = item.value, case .object(var object) = item.json,
           let record = try? ChannelRecord(id: item.key.name, value) {
            object["value"] = record.maskedJSON
            return .object(object)
        }
        guard item.key.section == .webhooks, !reveal, case .object(var value)? = item.value,
              let secrets = value["secrets"]?.arrayValue, case .object(var object) = item.json else { return item.json }
        value["secrets"] = .array(secrets.map { _ in "whsec_…" })
        object["value"] = .object(value)
        return .object(object)
    }

    static func section(_ context: BasicRequestContext) throws -> ConfigSection {
        let text = try HTTPRoutes.pathParameter(context, "section")
        guard let section = ConfigSection(rawValue: text) else {
            let known = ConfigSection.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem(PlexusError(.notFound, "no configuration section \"\(text)\"; known: \(known)"))
        }
        return section
    }

    static func key(_ section: ConfigSection, _ name: String) throws -> ConfigKey {
        try HTTPRoutes.problem { () throws(PlexusError) in try ConfigKey(section, name) }
    }

    static func item(_ config: ConfigStore, _ section: ConfigSection, _ name: String) throws -> ConfigItem {
        let key = try key(section, name)
        guard let item = config.item(key) else { throw Problem(PlexusError(.notFound, "no \(section.rawValue) item \"\(name)\"")) }
        return item
    }

    static func author(_ request: Request) -> String? {
        request.headers[actorHeader].map { String($0.prefix(200)) }
    }

    /// PUT: 201 when the item is new, 200 when it replaces a version.
    static func write(_ config: ConfigStore, _ section: ConfigSection, _ name: String, _ value: JSONValue,
                      _ request: Request) async throws -> Response {
        let key = try key(section, name)
        let existed = config.item(key) != nil
        let item = try await put(config, key, value, request)
        // A webhook's secrets are shown when this write set one, or generated the first.
        let reveal = section == .webhooks && (value["secret"] != nil || !existed)
        return Response.json(shown(item, reveal: reveal), status: existed ? .ok : .created)
    }

    static func put(_ config: ConfigStore, _ key: ConfigKey, _ value: JSONValue?, _ request: Request) async throws -> ConfigItem {
        do {
            return try await config.put(key, value: value, author: author(request), now: WallClock.now())
        } catch {
            throw Problem(error)
        }
    }

    static func remove(_ config: ConfigStore, _ section: ConfigSection, _ name: String, _ request: Request) async throws -> Response {
        let key = try key(section, name)
        guard config.item(key) != nil else { throw Problem(PlexusError(.notFound, "no \(section.rawValue) item \"\(name)\"")) }
        _ = try await put(config, key, nil, request)
        return Response(status: .noContent)
    }
}
