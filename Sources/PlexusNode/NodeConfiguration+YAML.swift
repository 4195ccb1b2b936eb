import Foundation
import PlexusPostgres
import PlexusStore

extension NodeConfiguration {
    /// Reads a node.yaml (docs/configuration.md). Unknown keys and bad values are errors naming
    /// the key and line; omitted keys keep their defaults.
    public static func load(yaml text: String) throws(ConfigurationError) -> NodeConfiguration {
        var config = NodeConfiguration()
        var root = try YAMLMapping.document(text)
        if var node = try root.mapping("node") {
            config.name = try node.string("name") ?? config.name
            try node.rejectUnknownKeys()
        }
        if var http = try root.mapping("http") {
            config.http.host = try http.string("host") ?? config.http.host
            config.http.port = try http.int("port") ?? config.http.port
            try http.rejectUnknownKeys()
        }
        config.dataDir = try root.string("data_dir") ?? config.dataDir
        if var limits = try root.mapping("limits") {
            config.limits.maxBodyBytes = try limits.int("max_body_bytes") ?? config.limits.maxBodyBytes
            config.limits.maxDepth = try limits.int("max_depth") ?? config.limits.maxDepth
            config.limits.maxBatch = try limits.int("max_batch") ?? config.limits.maxBatch
            try limits.rejectUnknownKeys()
        }
        if var store = try root.mapping("store") {
            if let kind = try store.choice("kind", Store.Kind.allCases.map(\.rawValue)) {
                config.store.kind = Store.Kind(rawValue: kind) ?? .sqlite
            }
            let modes = SQLiteStoreOptions.Synchronous.allCases
            if let sync = try store.choice("synchronous", modes.map { $0.rawValue.lowercased() }) {
                config.store.synchronous = modes.first { $0.rawValue.lowercased() == sync } ?? .full
            }
            if let url = try store.string("url") {
                guard config.store.kind == .postgres else {
                    throw store.error("url", nil, "is for a PostgreSQL store; set kind: postgres")
                }
                var postgres = PostgresStoreConfiguration(url: url)
                postgres.schema = try store.string("schema") ?? postgres.schema
                let layouts = PostgresStoreConfiguration.Partitioning.allCases
                if let layout = try store.choice("partitioning", layouts.map(\.rawValue)) {
                    postgres.partitioning = PostgresStoreConfiguration.Partitioning(rawValue: layout) ?? .auto
                }
                postgres.retentionDays = try store.int("retention_days") ?? postgres.retentionDays
                postgres.partitionsAhead = try store.int("partitions_ahead") ?? postgres.partitionsAhead
                postgres.maxBatchRows = try store.int("max_batch_rows") ?? postgres.maxBatchRows
                postgres.spoolLimit = try store.int("spool_limit") ?? postgres.spoolLimit
                // The spool is on unless switched off; its path is set when the node opens the store.
                postgres.spoolPath = try store.bool("spool") == false ? nil : ""
                config.store.postgres = postgres
            } else {
                for key in ["schema", "partitioning", "retention_days", "partitions_ahead", "max_batch_rows", "spool", "spool_limit"] where store.keys.contains(key) {
                    throw store.error(key, nil, "belongs to a PostgreSQL store; give store.url (and kind: postgres)")
                }
            }
            try store.rejectUnknownKeys()
        }
        if var webhooks = try root.mapping("webhooks") {
            config.webhookAllowlist = try webhooks.strings("allow") ?? config.webhookAllowlist
            try webhooks.rejectUnknownKeys()
        }
        if var sessions = try root.mapping("sessions") {
            config.sessionsPublicURL = try sessions.string("public_url") ?? config.sessionsPublicURL
            try sessions.rejectUnknownKeys()
        }
        if var stream = try root.mapping("stream") {
            config.stream.clientQueue = try stream.int("client_queue") ?? config.stream.clientQueue
            try stream.rejectUnknownKeys()
        }
        if var mesh = try root.mapping("mesh") {
            config.mesh.enabled = try mesh.bool("enabled") ?? config.mesh.enabled
            if let listen = try mesh.string("listen") {
                guard isHostPort(listen) || listen.hasSuffix(":0"), let colon = listen.lastIndex(of: ":") else {
                    throw ConfigurationError(key: "mesh.listen", line: mesh.keyLine("listen"), message: "must be host:port, got '\(listen)'")
                }
                config.mesh.host = String(listen[..<colon])
                config.mesh.port = Int(listen[listen.index(after: colon)...]) ?? 0
            }
            config.mesh.advertise = try mesh.string("advertise") ?? config.mesh.advertise
            config.mesh.seeds = try mesh.strings("seeds") ?? config.mesh.seeds
            config.mesh.profile = try mesh.choice("profile", ["lan", "wan"]) ?? config.mesh.profile
            config.mesh.neighbors = try mesh.strings("neighbors") ?? config.mesh.neighbors
            if var costs = try mesh.mapping("link_costs") {
                for key in costs.keys {
                    guard let ms = try costs.double(key), ms >= 0, ms.isFinite else {
                        throw costs.error(key, nil, "must be a number of milliseconds, 0 or more")
                    }
                    config.mesh.linkCosts[key] = ms
                }
                try costs.rejectUnknownKeys()
            }
            try mesh.rejectUnknownKeys()
        }
        if var identity = try root.mapping("identity") {
            config.identity.certificate = try identity.string("certificate")
            config.identity.key = try identity.string("key")
            config.identity.signingKey = try identity.string("signing_key")
            config.identity.ca = try identity.string("ca")
            try identity.rejectUnknownKeys()
        }
        for var entry in try root.mappings("trust") ?? [] {
            guard let ca = try entry.string("ca") else {
                throw ConfigurationError(key: "trust[].ca", line: nil, message: "every trusted organisation needs its CA certificate file")
            }
            var organisation = TrustedOrganisation(ca: ca)
            organisation.subjects = try entry.strings("subjects") ?? organisation.subjects
            organisation.backbones = try entry.strings("backbones") ?? organisation.backbones
            organisation.clusters = try entry.strings("clusters") ?? organisation.clusters
            try entry.rejectUnknownKeys()
            config.trust.append(organisation)
        }
        if var edges = try root.mapping("edges") {
            config.edges = try readEdges(&edges)
        }
        config.logLevel = try root.choice("log_level", logLevels) ?? config.logLevel
        try root.rejectUnknownKeys()
        try config.validate()
        return config
    }

    public static func load(file path: String) throws(ConfigurationError) -> NodeConfiguration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: "(file)", line: nil, message: "cannot read \(path) as UTF-8 text")
        }
        return try load(yaml: text)
    }
}
