import PlexusCore

/// JSON shapes of the registry and mesh routes.
enum RegistryJSON {
    static func node(_ entry: RegistryEntry, in view: MeshView, certificate: Bool = false) -> JSONValue {
        var object: JSONObject = ["id": .string(entry.key.owner.rawValue)]
        if case .object(let payload)? = entry.value {
            for (key, value) in payload where key != "id" && (certificate || key != "certificate") { object[key] = value }
        }
        if entry.key.owner == view.node {
            object["state"] = "alive"
            object["incarnation"] = .integer(Int64(clamping: view.incarnation))
        } else if let member = view.members.first(where: { $0.id == entry.key.owner }) {
            object["state"] = .string("\(member.status)")
            object["incarnation"] = .integer(Int64(clamping: member.incarnation))
        } else {
            object["state"] = "unknown"
        }
        let health = view.entries.first { $0.key.kind == .nodeHealth && $0.key.owner == entry.key.owner }
        if let value = health?.value { object["health"] = value }
        object["version"] = .string("\(entry.version)")
        return .object(object)
    }

    static func subject(_ entry: RegistryEntry) -> JSONValue {
        var object: JSONObject = ["id": .string(entry.key.id)]
        if case .object(let payload)? = entry.value {
            for (key, value) in payload where key != "id" { object[key] = value }
        }
        object["node"] = .string(entry.key.owner.rawValue)
        object["version"] = .string("\(entry.version)")
        return .object(object)
    }

    static func backbone(_ record: BackboneRecord) -> JSONValue {
        var object = record.fields
        object["owner"] = .string(record.owner.rawValue)
        object["updated_at"] = .string(Timestamp(milliseconds: record.updatedAt).description)
        return .object(object)
    }

    static func mesh(_ view: MeshView) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        let members: [JSONValue] = view.members.map { m in
            let entry = view.entries.first { $0.key.kind == .node && $0.key.owner == m.id }
            var object: JSONObject = [
                "id": .string(m.id.rawValue), "state": .string("\(m.status)"), "incarnation": .integer(Int64(clamping: m.incarnation)),
                "address": .string(m.address),
            ]
            if let http = entry?.value?["http_url"] { object["http_url"] = http }
            if let org = entry?.value?["organisation"] { object["organisation"] = org }
            object["link"] = [
                "connected": .bool(m.connected), "rtt_ms": number(m.heartbeatRTTMilliseconds),
                "probe_rtt_ms": number(m.probeRTTMilliseconds), "loss": number(m.loss),
            ]
            return .object(object)
        }
        var counts: JSONObject = [:]
        for kind in RegistryKind.allCases {
            counts[kind.description] = .integer(Int64(view.entries.filter { $0.key.kind == kind }.count))
        }
        let stats = view.registryStats
        counts["rejected"] = [
            "signature": .integer(Int64(stats.rejectedSignature)), "namespace": .integer(Int64(stats.rejectedNamespace)),
            "malformed": .integer(Int64(stats.rejectedMalformed)),
        ]
        counts["applied"] = .integer(Int64(stats.applied))
        var transport: JSONObject = [:]
        for (name, value) in view.transport { transport[name] = .integer(Int64(value)) }
        return [
            "node": .string(view.node.rawValue), "organisation": .string(view.organisation), "cluster": .string(view.cluster),
            "address": .string(view.address), "incarnation": .integer(Int64(clamping: view.incarnation)),
            "members": .array(members), "registry": .object(counts), "transport": .object(transport),
            "protocol": [
                "probes_sent": .integer(Int64(view.meshStats.probesSent)), "probes_failed": .integer(Int64(view.meshStats.probesFailed)),
                "suspicions": .integer(Int64(view.meshStats.suspicionsRaised)), "refutations": .integer(Int64(view.meshStats.refutations)),
                "dead_declared": .integer(Int64(view.meshStats.deadDeclared)), "sync_rounds": .integer(Int64(view.meshStats.syncRounds)),
            ],
        ]
    }
}
