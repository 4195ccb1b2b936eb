import Foundation
import NIOHTTP1
import PlexusCore
import PlexusNode
import Testing

/// The configuration store and the constraint checker on real nodes: the v1 config routes with
/// history, rate limits (429 + Retry-After), policies, templates, the decision audit query, the
/// original config routes, persistence across a restart, and a policy written on one node
/// enforced on another.
@Suite struct PolicyAPITests {
    func send(_ method: HTTPMethod, _ url: String, _ body: String? = nil, actor: String? = nil) async throws -> HTTPReply {
        try await HTTP.request(method, url, body: body.map { Array($0.utf8) }, headers: actor.map { [("X-Plexus-Actor", $0)] } ?? [])
    }

    static let auditorPolicy = #"""
        {"when": "topic.startsWith(\"finance.\") && !(\"auditor\" in destination_subject_ids)", "action": "deny",
         "reason": "finance messages must copy the auditor"}
        """#

    @Test func configRoutesKeepVersionsAndAuthors() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let url = node.base + "/v1/policies/no-auditor"
        let created = try await send(.PUT, url, Self.auditorPolicy, actor: "alice")
        #expect(created.status == 201)
        #expect(created.json?["version"] == 1 && created.json?["author"] == "alice")
        let replaced = try await send(.PUT, url, #"{"when": "false", "action": "deny"}"#, actor: "bob")
        #expect(replaced.status == 200 && replaced.json?["version"] == 2)
        #expect(try await HTTP.get(url).json?["value"]?["when"] == "false")
        #expect(try await HTTP.get(node.base + "/v1/policies").json?.arrayValue?.count == 1)
        let history = try await HTTP.get(node.base + "/v1/config/policies/no-auditor/history").json?.arrayValue ?? []
        #expect(history.map { $0["author"] } == ["bob", "alice"])
        #expect(try await send(.DELETE, url).status == 204)
        #expect(try await HTTP.get(url).status == 404)
        #expect(try await send(.DELETE, url).status == 404)
        #expect(try await HTTP.get(node.base + "/v1/config/policies/no-auditor/history").json?.arrayValue?.count == 3)

        let bad = try await send(.PUT, url, #"{"when": "topic + 1", "action": "deny"}"#)
        #expect(bad.status == 400 && bad.json?["pointer"] == "/when")
        #expect(try await send(.PUT, node.base + "/v1/limits/x", #"{"key": "colour", "rate": 1}"#).json?["pointer"] == "/key")
        #expect(try await HTTP.get(node.base + "/v1/config/nope").status == 404)
    }

    @Test func aRateLimitedSenderGets429WhileOthersPass() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        #expect(try await send(.PUT, node.base + "/v1/limits/per-sender",
                               #"{"key": "source_subject_id", "rate": 1, "per": "minute", "burst": 2}"#).status == 201)
        func post(_ source: String) async throws -> HTTPReply {
            try await HTTP.post(node.base + "/v1/messages", #"{"topic": "chat.x", "source_subject_id": "\#(source)", "data": {}}"#)
        }
        #expect(try await post("alice").status == 202)
        #expect(try await post("alice").status == 202)
        let limited = try await post("alice")
        #expect(limited.status == 429)
        let retryAfter = try #require(limited.header("retry-after").flatMap { Int($0) })
        #expect(retryAfter >= 1 && retryAfter <= 60)
        #expect(limited.json?["type"] == "https://plexus.dev/problems/rate-limited")
        #expect(try await post("bob").status == 202)
        #expect(try await post("carol").status == 202)
    }

    @Test func policiesDenyRouteAndTagAndTheAuditShowsWhy() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        #expect(try await send(.PUT, node.base + "/v1/policies/no-auditor", Self.auditorPolicy).status == 201)
        #expect(try await send(.PUT, node.base + "/v1/policies/mark-urgent",
                               #"{"when": "has(data.urgent) && data.urgent == true", "action": "tag", "tags": {"priority": "high"}}"#).status == 201)
        let denied = try await HTTP.post(node.base + "/v1/messages",
                                         #"{"message_uuid": "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b", "topic": "finance.eu", "destination_subject_ids": ["bob"], "data": {}}"#)
        #expect(denied.status == 403)
        #expect(denied.json?["detail"] == "finance messages must copy the auditor")
        // The same id, corrected, is accepted: a denial does not use up the message_uuid.
        let fixed = try await HTTP.post(node.base + "/v1/messages",
                                        #"{"message_uuid": "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b", "topic": "finance.eu", "destination_subject_ids": ["bob", "auditor"], "data": {"urgent": true}}"#)
        #expect(fixed.status == 202)
        #expect(fixed.json?["duplicates"] == 0)
        let logged = try await HTTP.get(node.base + "/v1/messages/0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b").json
        #expect(logged?["message_metadata"]?["priority"] == "high")
        #expect(logged?["policy_decision"]?["decision"] == "tagged")
        #expect(logged?["policy_decision"]?["rule"] == "policies/mark-urgent")

        // A client cannot forge a decision.
        #expect(try await HTTP.post(node.base + "/v1/messages",
                                    #"{"topic": "chat.x", "policy_decision": {"decision": "allowed"}, "data": {}}"#).status == 202)
        try await eventually("the audit lists the denial") {
            let page = try await HTTP.get(node.base + "/v1/messages?decision=denied").json?["messages"]?.arrayValue ?? []
            return page.count == 1 && page[0]["policy_decision"]?["reason"] == "finance messages must copy the auditor"
        }
        let tagged = try await HTTP.get(node.base + "/v1/messages?decision=tagged").json?["messages"]?.arrayValue ?? []
        #expect(tagged.count == 1 && tagged[0]["topic"] == "finance.eu")
        #expect(try await HTTP.get(node.base + "/v1/messages?decision=allowed").json?["messages"]?.arrayValue?.isEmpty == true)
        #expect(try await HTTP.get(node.base + "/v1/messages?decision=maybe").status == 400)
    }

    @Test func templatesRefuseBadDataWith422AndThePointer() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let schema = #"{"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer", "minimum": 1}}}"#
        #expect(try await send(.PUT, node.base + "/v1/topics/orders/template", schema).status == 201)
        let bad = try await HTTP.post(node.base + "/v1/messages", #"[{"topic": "chat", "data": {}}, {"topic": "orders", "data": {"amount": 0}}]"#)
        #expect(bad.status == 422)
        #expect(bad.json?["pointer"] == "/1/message_data/amount")
        #expect(try await HTTP.post(node.base + "/v1/messages", #"{"topic": "orders", "data": {"amount": 2}}"#).status == 202)
        // The original rules, through the same route.
        #expect(try await send(.PUT, node.base + "/v1/topics/survey/template",
                               #"{"policy_input_schema": {"answer": {"type": "string", "enum": ["yes", "no"]}}}"#).status == 201)
        let original = try await HTTP.post(node.base + "/v1/messages", #"{"topic": "survey", "data": {"answer": "maybe"}}"#)
        #expect(original.status == 422 && original.json?["pointer"] == "/message_data/answer")
        #expect(try await HTTP.get(node.base + "/v1/templates").json?.arrayValue?.count == 2)
        #expect(try await send(.DELETE, node.base + "/v1/topics/orders/template").status == 204)
        #expect(try await HTTP.post(node.base + "/v1/messages", #"{"topic": "orders", "data": {"amount": 0}}"#).status == 202)
    }

    @Test func originalConfigRoutes() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let created = try await send(.POST, node.base + "/topics_data", #"{"topic_ids": ["a", "b"]}"#)
        #expect(created.status == 201)
        let subject = try #require(created.json?["subject_id"]?.stringValue)
        #expect(try await send(.PUT, node.base + "/topics_data/\(subject)", #"{"topic_ids": ["c"]}"#).json?["topic_ids"] == ["c"])
        #expect(try await HTTP.get(node.base + "/topics_data/\(subject)").json?["topic_ids"] == ["c"])
        #expect(try await HTTP.get(node.base + "/topics_data").json?.arrayValue?.count == 1)

        #expect(try await send(.POST, node.base + "/messaging_config",
                               #"{"topic_id": "orders", "config_name": "retention", "config_value": 7}"#).status == 201)
        #expect(try await send(.PUT, node.base + "/messaging_config/orders", #"{"config_name": "owner", "config_value": "ops"}"#).status == 200)
        #expect(try await HTTP.get(node.base + "/messaging_config/orders").json?.arrayValue?.count == 2)
        #expect(try await HTTP.get(node.base + "/messaging_config/orders/retention").json?["config_value"] == 7)
        #expect(try await HTTP.get(node.base + "/messaging_config/orders/nope").status == 404)

        #expect(try await send(.POST, node.base + "/global_config", #"{"config_name": "region", "config_value": "eu"}"#).status == 201)
        #expect(try await send(.PUT, node.base + "/global_config/region", #"{"config_value": "us"}"#).status == 200)
        #expect(try await HTTP.get(node.base + "/global_config/region").json?["config_value"] == "us")
        #expect(try await HTTP.get(node.base + "/global_config").json?.arrayValue?.count == 1)
        #expect(try await send(.POST, node.base + "/messaging_config", #"{"config_name": "x"}"#).status == 400)
    }

    @Test func configurationSurvivesARestart() async throws {
        let first = try await TestNode.start()
        #expect(try await send(.PUT, first.base + "/v1/policies/no-auditor", Self.auditorPolicy).status == 201)
        try await first.stop(keepingData: true)
        let second = try await TestNode.start { $0.dataDir = first.dataDir }
        defer { Task { try await second.stop() } }
        #expect(try await HTTP.get(second.base + "/v1/policies/no-auditor").status == 200)
        #expect(try await HTTP.post(second.base + "/v1/messages", #"{"topic": "finance.x", "data": {}}"#).status == 403)
    }

    /// A policy saved on node A denies on node C, which only B links to A, within seconds.
    @Test func aPolicySavedOnOneNodeDeniesOnAnother() async throws {
        let ca = try MeshTestCA(organisation: "acme")
        var identities: [NodeConfiguration] = []
        for name in ["a", "b", "c"] {
            var config = NodeConfiguration()
            try ca.configure(&config, node: name)
            identities.append(config)
        }
        let a = try await TestNode.start { $0.identity = identities[0].identity }
        defer { Task { try await a.stop() } }
        let b = try await TestNode.start { c in
            c.identity = identities[1].identity
            c.mesh.seeds = [a.meshAddress]
        }
        defer { Task { try await b.stop() } }
        let c = try await TestNode.start { config in
            config.identity = identities[2].identity
            config.mesh.seeds = [b.meshAddress]
        }
        defer { Task { try await c.stop() } }
        try await eventually("c sees a and b") {
            try await HTTP.get(c.base + "/v1/mesh").json?["members"]?.arrayValue?.filter { $0["state"] == "alive" }.count == 2
        }
        let finance = #"{"topic": "finance.eu", "destination_subject_ids": ["bob"], "data": {}}"#
        #expect(try await HTTP.post(c.base + "/v1/messages", finance).status == 202)
        #expect(try await send(.PUT, a.base + "/v1/policies/no-auditor", Self.auditorPolicy).status == 201)
        try await eventually("c enforces a's policy", seconds: 15) {
            try await HTTP.post(c.base + "/v1/messages", finance).status == 403
        }
        #expect(try await HTTP.get(c.base + "/v1/policies/no-auditor").json?["updated_by_node"]?.stringValue?.hasSuffix("/a") == true)
        // A delete on C spreads back to A.
        #expect(try await send(.DELETE, c.base + "/v1/policies/no-auditor").status == 204)
        try await eventually("a sees c's delete", seconds: 15) { try await HTTP.get(a.base + "/v1/policies/no-auditor").status == 404 }
    }
}
