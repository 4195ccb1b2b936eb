import Foundation
import PlexusCore
import PlexusNode
import PlexusStore
import Synchronization
import Testing

/// Human-in-the-loop sessions end to end on real nodes, with real receivers for every channel
/// kind: the question goes out, a person's answer comes back through the channel, is validated
/// against the template, and the result reaches the agent on its subject.
@Suite struct SessionNodeTests {
    static func start(_ configure: @escaping (inout NodeConfiguration) -> Void = { _ in }) async throws -> TestNode {
        try await TestNode.start { config in
            // The test's receivers listen on loopback, which the SSRF guard refuses by default.
            config.webhookAllowlist = ["127.0.0.1"]
            config.sessionRetry = WebhookRetrySchedule(baseDelay: .milliseconds(100), maxDelay: .milliseconds(400), maxAttempts: 5)
            configure(&config)
        }
    }

    static let refundTemplate: JSONValue = [
        "policy_input_schema": ["amount": ["type": "number", "minimum": 0], "approved": ["type": "boolean"]],
    ]

    /// The original custom-channel contract, driven by a channel that behaves like the original's
    /// example: it takes `{session_id, message, response_url}` and later POSTs the person's answer
    /// to `response_url`. The first answer breaks the template (re-prompt with the errors), the
    /// second validates, the agent gets the result on its subject, and a replayed callback
    /// changes nothing.
    @Test func aCustomChannelCarriesTheQuestionAndTheAnswerReachesTheAgent() async throws {
        let answers: [JSONValue] = [["amount": -5, "approved": true], ["amount": 42, "approved": true]]
        let prompts = Mutex(0)
        let receiver = try await ChannelTestServer { request in
            guard let body = request.json, let url = body["response_url"]?.stringValue, let id = body["session_id"] else { return }
            let round = prompts.withLock { count in
                count += 1
                return count
            }
            try? await Task.sleep(for: .milliseconds(100))
            _ = try? await HTTP.post(url, json: ["session_id": id, "response_data": answers[min(round, 2) - 1]])
        }
        defer { receiver.stop() }
        let node = try await Self.start()
        defer { Task { try await node.stop() } }

        let created = try await HTTP.post(node.base + "/channel", json: [
            "channel_id": "ops-bot", "channel_name": "Ops bot", "channel_metadata": ["endpoint_url": .string(receiver.url())], "channel_tags": ["ops"],
        ])
        #expect(created.status == 201)
        // The signing secret is generated and shown once; reads hide it.
        let secret = try WebhookSecret(parsing: try #require(created.json?["channel_metadata"]?["secret"]?.stringValue))
        #expect(try await HTTP.get(node.base + "/channel/ops-bot").json?["channel_metadata"]?["secret"] == "…(hidden)")

        let agent = WSTestClient(url: node.wsBase + "/v1/subjects/agent-7/session")
        defer { agent.stop() }
        try await eventually("agent-7 is announced") { try await HTTP.get(node.base + "/v1/subjects/agent-7").status == 200 }
        let session = try await HTTP.post(node.base + "/session", json: [
            "subject_id": "agent-7", "reception_channel_id": "ops-bot", "message_data": ["message": "Approve the refund?"],
            "message_data_template": Self.refundTemplate, "expires_in": 600,
        ])
        #expect(session.status == 201)
        let id = try #require(session.json?["session_id"]?.stringValue)

        let frame = try JSONParser.parse(try await agent.next(1, within: 30)[0])
        #expect(frame["topic"] == "agent-7__human_intervention_results")
        #expect(frame["destination_subject_ids"] == ["agent-7"])
        #expect(frame["message_data"]?["event_type"] == "human_intervention_results")
        #expect(frame["message_data"]?["sender_subject_id"] == "sessions_system")
        #expect(frame["message_data"]?["event_payload"] == answers[1])

        let final = try #require(try await HTTP.get(node.base + "/session/" + id).json)
        #expect(final["status"] == "validated")
        #expect(final["round"] == 2)
        #expect(final["response_data"] == answers[1])
        #expect(final["result_message_uuid"] == frame["message_uuid"])

        // Two prompts, both signed with the channel's secret; the second names what was wrong.
        let requests = receiver.all
        #expect(requests.count == 2)
        for request in requests {
            #expect(throws: Never.self) {
                try WebhookVerifier(secrets: [secret]).verify(
                    id: request.headers["webhook-id"], timestamp: request.headers["webhook-timestamp"],
                    signature: request.headers["webhook-signature"], body: request.body, now: WallClock.now())
            }
            #expect(request.json?["message"]?["message"] == "Approve the refund?")
        }
        #expect(requests[1].json?["errors"]?.arrayValue?.first?["pointer"] == "/amount")
        #expect(requests[0].json?["response_url"] != requests[1].json?["response_url"], "each round has its own token")

        // A replayed callback (the same response_url and body) is refused and changes nothing.
        let second = try #require(requests[1].json?["response_url"]?.stringValue)
        let replay = try await HTTP.post(second, json: ["session_id": .string(id), "response_data": ["amount": 1, "approved": false]])
        #expect(replay.status == 409)
        #expect(try await HTTP.get(node.base + "/session/" + id).json?["response_data"] == answers[1])
        // The first round's link no longer answers either.
        let first = try #require(requests[0].json?["response_url"]?.stringValue)
        #expect(try await HTTP.post(first, json: ["session_id": .string(id), "response_data": answers[1]]).status == 409)
    }

    /// The built-in inbox: the list shows the open session, the form is generated from the
    /// template, an answer posted through it validates; a decline is never an answer.
    @Test func theInboxShowsAFormAndTakesTheAnswer() async throws {
        let node = try await Self.start()
        defer { Task { try await node.stop() } }
        let created = try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-1", "message_data": ["message": "Ship <order 42>?"], "message_data_template": Self.refundTemplate,
        ])
        #expect(created.status == 201)
        let id = try #require(created.json?["session_id"]?.stringValue)
        try await eventually("the inbox session is sent") { try await HTTP.get(node.base + "/v1/sessions/" + id).json?["status"] == "sent" }

        let list = try await HTTP.get(node.base + "/inbox")
        #expect(list.status == 200)
        #expect(list.header("content-type")?.hasPrefix("text/html") == true)
        #expect(list.text.contains("Ship &lt;order 42&gt;?"), "escaped, never raw HTML")
        let link = try #require(list.text.range(of: #"/inbox/[^"?]+\?token=[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(list.text[$0]) })
        let form = try await HTTP.get(node.base + link)
        #expect(form.text.contains(#"name="f.amount""#) && form.text.contains(#"name="f.approved""#))

        // An answer that breaks the template: 422 and the form again, with the error.
        let bad = try await HTTP.request(.POST, node.base + link, body: Array("f.amount=-1&f.approved=true&action=answer".utf8))
        #expect(bad.status == 422)
        let again = try await HTTP.get(node.base + "/v1/sessions/" + id)
        #expect(again.json?["round"] == 2)
        let newLink = try #require(bad.text.range(of: #"/inbox/[^"?]+\?token=[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(bad.text[$0]) })
        let good = try await HTTP.request(.POST, node.base + newLink, body: Array("f.amount=12.5&f.approved=true&action=answer".utf8))
        #expect(good.status == 200)
        let validated = try #require(try await HTTP.get(node.base + "/v1/sessions/" + id).json)
        #expect(validated["status"] == "validated")
        #expect(validated["response_data"] == ["amount": 12.5, "approved": true])

        // A second session, declined through the form: declined, no result.
        let other = try #require(try await HTTP.post(node.base + "/v1/sessions", json: ["subject_id": "agent-1", "message_data": ["message": "Delete it?"]]).json)
        let otherID = try #require(other["session_id"]?.stringValue)
        let otherLink = try await HTTP.get(node.base + "/inbox").text
        let declineLink = try #require(otherLink.range(of: "/inbox/\(otherID)\\?token=[A-Za-z0-9_-]+", options: .regularExpression).map { String(otherLink[$0]) })
        #expect(try await HTTP.request(.POST, node.base + declineLink, body: Array("action=decline&reason=not+mine".utf8)).status == 200)
        let declined = try #require(try await HTTP.get(node.base + "/v1/sessions/" + otherID).json)
        #expect(declined["status"] == "declined")
        #expect(declined["response_data"] == .null && declined["result_message_uuid"] == .null)
    }

    /// An expiry is never an answer: the session expires on time, a late answer is refused, and
    /// no result is published.
    @Test func anExpiredSessionRefusesALateAnswer() async throws {
        let node = try await Self.start()
        defer { Task { try await node.stop() } }
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-2", "message_data": ["message": "Quick?"], "expires_in": 1,
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        // Long-poll: the call returns as soon as the session changes past the version given.
        var version = created["version"]?.integerValue ?? 0
        var status = created["status"]?.stringValue ?? ""
        let deadline = ContinuousClock.now + .seconds(20)
        while status != "expired", ContinuousClock.now < deadline {
            let polled = try #require(try await HTTP.get(node.base + "/v1/sessions/\(id)?wait=10&version=\(version)").json)
            version = polled["version"]?.integerValue ?? version
            status = polled["status"]?.stringValue ?? ""
        }
        #expect(status == "expired")
        let late = try await HTTP.post(node.base + "/v1/sessions/\(id)/reply", json: ["response_data": ["ok": true]])
        #expect(late.status == 409)
        let final = try #require(try await HTTP.get(node.base + "/v1/sessions/" + id).json)
        #expect(final["status"] == "expired" && final["response_data"] == .null && final["result_message_uuid"] == .null)
        let results = try await HTTP.get(node.base + "/v1/messages?topic=agent-2__human_intervention_results")
        #expect(results.json?["messages"]?.arrayValue?.isEmpty == true)
    }

    /// Two of three named approvers must answer; the result says who approved.
    @Test func aQuorumSessionNeedsTwoOfThreeApprovers() async throws {
        let node = try await Self.start()
        defer { Task { try await node.stop() } }
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-3", "message_data": ["message": "Deploy?"], "approvers": ["ann", "bo", "cy"], "quorum": 2,
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        let reply = node.base + "/v1/sessions/\(id)/reply"
        #expect(try await HTTP.post(reply, json: ["response_data": ["go": true], "approver": "mallory"]).status == 403)
        #expect(try await HTTP.post(reply, json: ["response_data": ["go": true], "approver": "ann"]).json?["status"] == "responded")
        #expect(try await HTTP.post(reply, json: ["response_data": ["go": true], "approver": "ann"]).status == 409)
        let done = try #require(try await HTTP.post(reply, json: ["response_data": ["go": true, "note": "ok"], "approver": "cy"]).json)
        #expect(done["status"] == "validated")
        #expect(done["approvals"]?.arrayValue?.compactMap { $0["approver"]?.stringValue } == ["ann", "cy"])
        try await eventually("the result is logged with its approvers") {
            let page = try await HTTP.get(node.base + "/v1/messages?topic=agent-3__human_intervention_results").json
            return page?["messages"]?.arrayValue?.first?["message_data"]?["approved_by"] == ["ann", "cy"]
        }
    }

    /// A quorum round's one link serves every approver once: two approvers answer through the
    /// same inbox link; the first one again is refused.
    @Test func approversShareTheRoundsLinkEachOnce() async throws {
        let node = try await Self.start()
        defer { Task { try await node.stop() } }
        let created = try #require(try await HTTP.post(node.base + "/v1/sessions", json: [
            "subject_id": "agent-q", "message_data": ["message": "Merge?"], "approvers": ["ann", "bo"], "quorum": 2,
        ]).json)
        let id = try #require(created["session_id"]?.stringValue)
        let page = try await HTTP.get(node.base + "/inbox").text
        let link = try #require(page.range(of: "/inbox/\(id)\\?token=[A-Za-z0-9_-]+", options: .regularExpression).map { String(page[$0]) })
        let form = #"response_data={"merge":true}&action=answer&approver="#
        #expect(try await HTTP.request(.POST, node.base + link, body: Array((form + "ann").utf8)).status == 200)
        #expect(try await HTTP.request(.POST, node.base + link, body: Array((form + "ann").utf8)).status == 409)
        #expect(try await HTTP.request(.POST, node.base + link, body: Array((form + "bo").utf8)).status == 200)
        let done = try #require(try await HTTP.get(node.base + "/v1/sessions/" + id).json)
        #expect(done["status"] == "validated")
        #expect(done["approvals"]?.arrayValue?.compactMap { $0["approver"]?.stringValue } == ["ann", "bo"])
    }

    /// The original routes: create, read, update, query with operators, delete; channels with
    /// a tag query.
    @Test func theOriginalRoutesCreateQueryUpdateAndDelete() async throws {
        let node = try await Self.start()
        defer { Task { try await node.stop() } }
        func body(_ index: Int, _ subject: String) -> JSONValue {
            [
                "session_id": .string("s-\(index)"), "subject_id": .string(subject), "message_data": ["message": "?"],
                "expiry_date": .integer(4_000_000_000 + Int64(index)), "dsl_execution_id": "run-9",
            ]
        }
        for (index, subject) in ["a-1", "a-2", "a-3"].enumerated() {
            #expect(try await HTTP.post(node.base + "/session", json: body(index, subject)).status == 201)
        }
        // The same POST again is the same session (an agent's retry); a different one is a conflict.
        #expect(try await HTTP.post(node.base + "/session", json: body(0, "a-1")).status == 200)
        #expect(try await HTTP.post(node.base + "/session", json: body(0, "other")).status == 409)
        #expect(try await HTTP.post(node.base + "/session", json: ["session_id": "s-0", "subject_id": "a-1", "message_data": ["message": "?"]]).status == 409)
        func query(_ filter: JSONValue) async throws -> [String] {
            (try await HTTP.post(node.base + "/sessions", json: filter).json?.arrayValue ?? []).compactMap { $0["session_id"]?.stringValue }.sorted()
        }
        #expect(try await query(["subject_id": ["$in": ["a-1", "a-3"]]]) == ["s-0", "s-2"])
        #expect(try await query(["expiry_date": ["$gt": 4_000_000_000], "subject_id": ["$ne": "a-3"]]) == ["s-1"])
        #expect(try await query(["expiry_date": ["$lt": 4_000_000_001]]) == ["s-0"])
        #expect(try await query(["dsl_execution_id": "run-9"]).count == 3)
        #expect(try await HTTP.post(node.base + "/sessions", json: ["colour": "red"]).status == 400)
        #expect(try await HTTP.post(node.base + "/sessions", json: ["status": ["$regex": "x"]]).status == 400)

        let updated = try await HTTP.request(.PUT, node.base + "/session/s-1", body: Array(#"{"expiry_date": 4100000000, "ticket": "T-1"}"#.utf8))
        #expect(updated.json?["expiry_date"] == 4_100_000_000 && updated.json?["ticket"] == "T-1")
        #expect(try await HTTP.request(.PUT, node.base + "/session/s-1", body: Array(#"{"status": "validated"}"#.utf8)).status == 400)
        #expect(try await HTTP.request(.DELETE, node.base + "/session/s-2").status == 200)
        #expect(try await HTTP.get(node.base + "/session/s-2").status == 404)

        #expect(try await HTTP.post(node.base + "/channel", json: [
            "channel_id": "pager", "channel_name": "Pager", "channel_metadata": ["type": "teams", "webhook_url": "http://127.0.0.1:9/x"], "channel_tags": ["ops", "night"],
        ]).status == 201)
        let tagged = try await HTTP.post(node.base + "/channels", json: ["channel_tags": ["$in": ["night"]]])
        #expect(tagged.json?.arrayValue?.compactMap { $0["channel_id"]?.stringValue } == ["pager"])
        #expect(try await HTTP.post(node.base + "/channel", json: ["channel_metadata": ["type": "slack"]]).status == 400)
        // S4: a channel URL pointing at the cloud metadata service is refused at create.
        let metadata = try await HTTP.post(node.base + "/channel", json: ["channel_metadata": ["endpoint_url": "http://169.254.169.254/latest"]])
        #expect(metadata.status == 400)
        #expect(try await HTTP.request(.DELETE, node.base + "/channel/pager").status == 200)
        #expect(try await HTTP.get(node.base + "/channel/pager").status == 404)
    }
}
