import AsyncHTTPClient
import NIOCore
import PlexusCore

/// The constraints the policy benchmark installs: ten policies of the kinds operators write
/// (prefix and membership tests, regexes, list macros, data and metadata checks), none of which
/// refuses the benchmark's messages, so every one is evaluated for every message; a JSON Schema
/// template on every topic; and a rate limit per sender too generous to refuse.
struct PolicyBenchRules: Sendable {
    let topics: [String]

    let policies: [(String, String)] = [
        ("finance-auditor", #"{"when": "topic.startsWith(\"finance.\") && !(\"auditor\" in destination_subject_ids)", "action": "deny"}"#),
        ("negative-seq", #"{"when": "has(data.seq) && data.seq < 0", "action": "deny"}"#),
        ("long-text", #"{"when": "has(data.text) && size(data.text) > 10000", "action": "deny"}"#),
        ("blocked-sender", #"{"when": "source_subject_id == \"blocked\"", "action": "deny"}"#),
        ("forbidden-type", #"{"when": "message_type == \"forbidden\"", "action": "deny"}"#),
        ("classified", #"{"when": "has(metadata.classified) && metadata.classified == true", "action": "deny"}"#),
        ("secret-topics", #"{"when": "topic.matches(\"^secret\\\\.\")", "action": "deny"}"#),
        ("banned-recipients", #"{"when": "destination_subject_ids.exists(d, d.startsWith(\"banned-\"))", "action": "deny"}"#),
        ("audit-topics", #"{"when": "topic.endsWith(\".audit\")", "action": "tag", "tags": {"audit": true}}"#),
        ("failed-to-review", #"{"when": "has(data.ok) && data.ok == false", "action": "route", "topic": "review.failed"}"#),
    ]

    let template = #"""
        {"type": "object", "required": ["seq", "text", "ok"], "additionalProperties": false,
         "properties": {"seq": {"type": "integer", "minimum": 0}, "text": {"type": "string", "maxLength": 1000},
                        "ok": {"type": "boolean"}}}
        """#

    let limit = #"{"key": "source_subject_id", "rate": 1000000, "burst": 1000000}"#

    /// The same rules as a core `ConstraintSet`.
    func constraintSet() throws -> ConstraintSet {
        var state = ConfigState()
        var version: Int64 = 0
        func add(_ section: ConfigSection, _ name: String, _ body: String) throws {
            version += 1
            let key = try ConfigKey(section, name)
            try ConstraintSet.validate(key, try JSONParser.parse(body))
            state.merge(ConfigItem(key: key, value: try JSONParser.parse(body), version: 1, at: Timestamp(microseconds: version), node: "bench"))
        }
        for (name, body) in policies { try add(.policies, name, body) }
        for topic in topics { try add(.templates, topic, template) }
        try add(.limits, "per-sender", limit)
        return ConstraintSet(state)
    }

    /// One POST, for the report when a run fails: the status and the start of the reply.
    static func post(_ body: [UInt8], to url: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let reply = try await response.body.collect(upTo: 1 << 20)
        return "\(response.status.code) \(String(buffer: reply).prefix(300))"
    }

    /// Writes the rules through the node's HTTP API, as an operator would.
    func install(base: String) async throws {
        var writes: [(String, String)] = policies.map { ("/v1/policies/\($0.0)", $0.1) }
        writes += topics.map { ("/v1/topics/\($0)/template", template) }
        writes.append(("/v1/limits/per-sender", limit))
        for (path, body) in writes {
            var request = HTTPClientRequest(url: base + path)
            request.method = .PUT
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let reply = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 201 || response.status.code == 200 else {
                throw BenchError("PUT \(path) answered \(response.status.code): \(String(buffer: reply))")
            }
        }
    }
}

/// Section 1: the checker's cost per message on one core, beside decoding.
struct PolicyCoreBench {
    let factory: MessageFactory
    let rules: PolicyBenchRules
    let count: Int

    func run() throws -> (decode: Double, decodeAndCheck: Double, check: Double) {
        let set = try rules.constraintSet()
        let bodies = (0..<1_000).map { factory.body(count: 1, startingAt: $0) }
        let context = ConstraintContext(organisation: "bench", ingress: "http", node: "bench")
        let pipeline = IngestPipeline(node: "bench")
        var rng = SplitMix64(seed: 7)
        var envelopes: [Envelope] = []
        let decodeWatch = Stopwatch()
        for i in 0..<count { envelopes = try pipeline.accept(bodies[i % bodies.count], now: MessageFactory.seededClock, rng: &rng) }
        let decode = Double(count) / decodeWatch.seconds
        let pool = try bodies.map { try pipeline.accept($0, now: MessageFactory.seededClock, rng: &rng)[0] }
        var accepted = 0
        let checkWatch = Stopwatch()
        for i in 0..<count {
            if case .accepted = set.evaluate(pool[i % pool.count], context: context) { accepted += 1 }
        }
        let check = Double(count) / checkWatch.seconds
        guard accepted == count, !envelopes.isEmpty else { throw BenchError("the benchmark rules refused \(count - accepted) messages") }
        return (decode, 1 / (1 / decode + 1 / check), check)
    }
}
