import Foundation
import PlexusCore
import PlexusNode
import Testing

/// Each channel kind against a real receiver the test runs: Slack (buttons, signed interaction
/// callbacks), Teams (a card linking to the inbox), mesh (a message to a human subject), and
/// webhook notifications of every state change.
@Suite struct SessionChannelTests {
    static let slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

    @Test func slackGetsButtonsAndOnlyASignedFreshClickAnswers() async throws {
        let slack = try await ChannelTestServer()
        defer { slack.stop() }
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let channel = try await HTTP.request(.PUT, node.base + "/v1/channels/approvals", body: JSONValue.object([
            "channel_name": "Approvals", "channel_metadata": ["type": "slack", "webhook_url": .string(slack.url("/services/T0/B0/x")), "signing_secret": .string(Self.slackSecret)],
        ]).serialized())
        #expect(channel.status == 201)
        #expect(try await HTTP.get(node.base + "/v1/channels/approvals").json?["channel_metadata"]?["signing_secret"] == "…(hidden)")
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-s", "reception_channel_id": "approvals", "message_data": ["message": "Restart the cluster?"],
            "message_data_template": ["policy_input_schema": ["approved": ["type": "boolean"]]],
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)

        let posted = try await slack.next()
        #expect(posted.path == "/services/T0/B0/x")
        let text = String(decoding: posted.body, as: UTF8.self)
        #expect(text.contains("Restart the cluster?"))
        let buttons = (posted.json?["blocks"]?.arrayValue ?? []).flatMap { $0["elements"]?.arrayValue ?? [] }
        let yes = try #require(buttons.first { $0["value"]?.stringValue?.contains("true") == true })

        let payload: JSONValue = [
            "type": "block_actions", "user": ["id": "U1", "username": "ann"],
            "actions": [["action_id": yes["action_id"] ?? .null, "value": yes["value"] ?? .null]],
        ]
        let form = "payload=" + String(decoding: payload.serialized(), as: UTF8.self).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let url = node.base + "/v1/channels/approvals/slack/interactions"
        func click(_ body: String, at time: Int64, signedBody: String? = nil) async throws -> HTTPReply {
            let signature = SlackSignature.sign(secret: Self.slackSecret, timestamp: time, body: Array((signedBody ?? body).utf8))
            return try await HTTP.request(.POST, url, body: Array(body.utf8), headers: [
                ("X-Slack-Request-Timestamp", String(time)), ("X-Slack-Signature", signature),
            ])
        }
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try await click(form, at: now - 600).status == 403, "older than five minutes")
        #expect(try await click(form, at: now, signedBody: form + "x").status == 403, "the body was changed")
        #expect(try await click(form, at: now).status == 200)
        let session = try #require(try await HTTP.get(node.base + "/v1/sessions/" + id).json)
        #expect(session["status"] == "validated")
        #expect(session["response_data"] == ["approved": true])
        #expect(session["approvals"]?.arrayValue?.first?["approver"] == "ann")
        #expect(try await click(form, at: now).status == 409, "Slack's retry of the same click changes nothing")
    }

    @Test func teamsGetsACardLinkingToTheInbox() async throws {
        let teams = try await ChannelTestServer()
        defer { teams.stop() }
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        #expect(try await HTTP.post(node.base + "/channel", json: [
            "channel_id": "team-room", "channel_metadata": ["type": "teams", "webhook_url": .string(teams.url("/webhookb2/x"))],
        ]).status == 201)
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-t", "reception_channel_id": "team-room", "message_data": ["message": "Which region?"],
            "message_data_template": ["policy_input_schema": ["region": ["type": "string", "enum": ["eu", "us"]]]],
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        let card = try await teams.next()
        let text = String(decoding: card.body, as: UTF8.self)
        #expect(card.json?["attachments"]?.arrayValue?.first?["contentType"] == "application/vnd.microsoft.card.adaptive")
        #expect(text.contains("Which region?"))
        let link = try #require(text.range(of: #"http://127\.0\.0\.1:\d+/inbox/[^"?]+\?token=[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(text[$0]) })
        #expect(try await HTTP.get(link).text.contains("eu"))
        #expect(try await HTTP.request(.POST, link, body: Array("f.region=us&action=answer".utf8)).status == 200)
        #expect(try await HTTP.get(node.base + "/v1/sessions/" + id).json?["response_data"] == ["region": "us"])
    }

    /// The `mesh` kind: the prompt is a message to a human subject attached to the node; the
    /// person's client answers through the message's response_url.
    @Test func aMeshChannelReachesAHumanSubject() async throws {
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        let human = WSTestClient(url: node.wsBase + "/v1/subjects/alice/session?kind=human")
        defer { human.stop() }
        try await eventually("alice is announced") { try await HTTP.get(node.base + "/v1/subjects/alice").status == 200 }
        #expect(try await HTTP.post(node.base + "/channel", json: [
            "channel_id": "alice-desk", "channel_metadata": ["type": "mesh", "subject_id": "alice"],
        ]).status == 201)
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-m", "reception_channel_id": "alice-desk", "message_data": ["message": "Sign off?"],
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        let prompt = try JSONParser.parse(try await human.next(1, within: 30)[0])
        #expect(prompt["topic"] == "alice__human_intervention_requests")
        #expect(prompt["message_data"]?["session_id"] == .string(id))
        let url = try #require(prompt["message_data"]?["response_url"]?.stringValue)
        #expect(try await HTTP.post(url, json: ["session_id": .string(id), "response_data": ["signed": true]]).status == 200)
        #expect(try await HTTP.get(node.base + "/v1/sessions/" + id).json?["status"] == "validated")
    }

    /// Every state change fires a signed webhook event (`session.*`).
    @Test func everyStateChangeNotifiesWebhooks() async throws {
        let receiver = try await ChannelTestServer()
        defer { receiver.stop() }
        let node = try await SessionNodeTests.start()
        defer { Task { try await node.stop() } }
        #expect(try await HTTP.request(.PUT, node.base + "/v1/webhooks/sessions", body: Array(#"{"url": "\#(receiver.url("/events"))", "events": ["session.*"]}"#.utf8)).status == 201)
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: ["subject_id": "agent-w", "message_data": ["message": "?"]]).json)
        let id = try #require(created["session_id"]?.stringValue)
        try await eventually("the inbox session is sent") { try await HTTP.get(node.base + "/v1/sessions/" + id).json?["status"] == "sent" }
        _ = try await HTTP.post(node.base + "/v1/sessions/\(id)/reply", json: ["response_data": ["ok": true]])
        try await eventually("created, sent and validated were notified") {
            let kinds = Set(receiver.all.compactMap { $0.json?["type"]?.stringValue })
            return kinds.isSuperset(of: ["session.created", "session.sent", "session.validated"])
        }
        let validated = try #require(receiver.all.first { $0.json?["type"] == "session.validated" })
        #expect(validated.json?["data"]?["session_id"] == .string(id))
        #expect(validated.headers["webhook-signature"]?.hasPrefix("v1,") == true)
    }
}
