import Testing
@testable import PlexusCore

@Suite struct ConstraintSetTests {
    let context = ConstraintContext(organisation: "acme", ingress: "http", node: "acme/eu/n1")

    func constraints(_ items: [(ConfigSection, String, String)]) throws -> ConstraintSet {
        var state = ConfigState()
        for (index, (section, name, body)) in items.enumerated() {
            state.merge(ConfigItem(key: try ConfigKey(section, name), value: try JSONParser.parse(body), version: 1,
                                   at: Timestamp(milliseconds: Int64(index)), node: "n"))
        }
        let set = ConstraintSet(state)
        #expect(set.problems.isEmpty, "\(set.problems)")
        return set
    }

    func envelope(_ topic: String, source: String? = "alice", to: [String] = [], data: JSONValue = ["amount": 5]) throws -> Envelope {
        Envelope(messageID: MessageID(string: "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b")!, originTS: Timestamp(milliseconds: 1),
                 topic: try Topic(topic), sourceSubjectID: source, destinationSubjectIDs: to, messageData: data)
    }

    @Test func nothingConfiguredAcceptsAndStripsAClientDecision() throws {
        var forged = try envelope("a")
        forged.policyDecision = ["decision": "allowed"]
        guard case .accepted(let out, let charges) = ConstraintSet.empty.evaluate(forged, context: context) else {
            Issue.record("denied"); return
        }
        #expect(out.policyDecision == nil && charges.isEmpty)
    }

    @Test func theIssueExamplePolicyDenies() throws {
        let set = try constraints([(.policies, "no-auditor", #"""
            {"when": "topic.startsWith(\"finance.\") && !(\"auditor\" in destination_subject_ids)", "action": "deny",
             "reason": "finance messages must copy the auditor"}
            """#)])
        guard case .denied(let denied, let error) = set.evaluate(try envelope("finance.eu", to: ["bob"]), context: context) else {
            Issue.record("not denied"); return
        }
        #expect(error.code == .forbidden && error.message == "finance messages must copy the auditor")
        #expect(denied.policyDecision?["decision"] == "denied")
        #expect(denied.policyDecision?["rule"] == "policies/no-auditor")
        #expect(denied.policyDecision?["action"] == "deny")
        guard case .accepted = set.evaluate(try envelope("finance.eu", to: ["bob", "auditor"]), context: context) else {
            Issue.record("denied with the auditor copied"); return
        }
        guard case .accepted(let other, _) = set.evaluate(try envelope("chat.x"), context: context) else {
            Issue.record("denied off-topic"); return
        }
        #expect(other.policyDecision == nil)
    }

    @Test func policiesRunInPriorityOrderAndAllowStopsTheRun() throws {
        let set = try constraints([
            (.policies, "b-deny-all", #"{"when": "true", "action": "deny", "priority": 20}"#),
            (.policies, "a-allow-vip", #"{"when": "source_subject_id == \"vip\"", "action": "allow", "priority": 10}"#),
        ])
        guard case .accepted(let vip, _) = set.evaluate(try envelope("t", source: "vip"), context: context) else {
            Issue.record("vip denied"); return
        }
        #expect(vip.policyDecision?["rule"] == "policies/a-allow-vip")
        guard case .denied = set.evaluate(try envelope("t", source: "joe"), context: context) else {
            Issue.record("joe allowed"); return
        }
    }

    @Test func routeAndTagChangeTheMessageAndAreRecorded() throws {
        let set = try constraints([
            (.policies, "big", #"{"when": "data.amount > 1000", "action": "route", "topic": "finance.review"}"#),
            (.policies, "mark", #"{"when": "topic == \"finance.review\"", "action": "tag", "tags": {"review": true}, "priority": 200}"#),
        ])
        guard case .accepted(let out, _) = set.evaluate(try envelope("finance.orders", data: ["amount": 5000]), context: context) else {
            Issue.record("denied"); return
        }
        #expect(out.topic.value == "finance.review")
        #expect(out.messageMetadata["review"] == .bool(true))
        #expect(out.policyDecision?["decision"] == "routed")
        #expect(out.policyDecision?["routed_from"] == "finance.orders")
        #expect(out.policyDecision?["applied"] == ["policies/big", "policies/mark"])
    }

    @Test func anEvaluationErrorDenies() throws {
        let set = try constraints([(.policies, "needs-int", #"{"when": "data.amount / 0 > 1", "action": "allow"}"#)])
        guard case .denied(_, let error) = set.evaluate(try envelope("t"), context: context) else {
            Issue.record("allowed"); return
        }
        #expect(error.code == .forbidden && error.message.contains("could not be evaluated"))
    }

    @Test func theTopicTemplateRefusesBadDataWithThePointer() throws {
        let set = try constraints([(.templates, "orders",
            #"{"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer", "minimum": 1}}}"#)])
        guard case .denied(let denied, let error) = set.evaluate(try envelope("orders", data: ["amount": 0]), context: context) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .invalidData)
        #expect(error.pointer == "/message_data/amount")
        #expect(denied.policyDecision?["action"] == "validate")
        guard case .accepted(let ok, _) = set.evaluate(try envelope("orders", data: ["amount": 3]), context: context) else {
            Issue.record("denied"); return
        }
        #expect(ok.policyDecision?["applied"] == ["templates/orders"])
    }

    @Test func sizeLimitsAndRateChargesFollowTheirTopics() throws {
        let set = try constraints([
            (.limits, "small", #"{"max_bytes": 20, "topics": ["iot.>"]}"#),
            (.limits, "per-sender", #"{"key": ["source_subject_id", "metadata.tenant"], "rate": 60, "per": "minute", "burst": 5}"#),
        ])
        guard case .denied(_, let error) = set.evaluate(try envelope("iot.temp", data: ["reading": "a long reading of many bytes"]), context: context) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .tooLarge)
        var message = try envelope("chat.x")
        message.messageMetadata["tenant"] = "t1"
        guard case .accepted(_, let charges) = set.evaluate(message, context: context) else { Issue.record("denied"); return }
        #expect(charges == [RateCharge(limit: "per-sender", key: "alice\u{1F}t1", ratePerSecond: 1, burst: 5)])
    }

    @Test func aclsDenyBeforeAnythingElse() throws {
        let set = try constraints([(.acls, "fin", #"{"sources": ["fin-*"], "topics": ["finance.>"]}"#)])
        guard case .denied(let denied, let error) = set.evaluate(try envelope("finance.x", source: "joe"), context: context) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .forbidden)
        #expect(denied.policyDecision?["rule"] == "acls/fin")
    }

    @Test func invalidItemsAreRefusedAtSaveNamingTheField() throws {
        #expect { try ConstraintSet.validate(try ConfigKey(.policies, "p"), try JSONParser.parse(#"{"when": "topic + 1", "action": "deny"}"#)) }
            throws: { ($0 as? PlexusError)?.pointer == "/when" }
        #expect { try ConstraintSet.validate(try ConfigKey(.policies, "p"), try JSONParser.parse(#"{"when": "true", "action": "explode"}"#)) }
            throws: { ($0 as? PlexusError)?.pointer == "/action" }
        #expect { try ConstraintSet.validate(try ConfigKey(.limits, "l"), try JSONParser.parse(#"{"key": "colour", "rate": 1}"#)) }
            throws: { ($0 as? PlexusError)?.pointer == "/key" }
        #expect { try ConstraintSet.validate(try ConfigKey(.templates, "t"), try JSONParser.parse(#"{"type": "strng"}"#)) }
            throws: { $0 is PlexusError }
    }
}

extension ConstraintSetTests {
    @Test func aRouteCannotCarryAMessagePastTheNewTopicsRules() throws {
        let set = try constraints([
            (.policies, "to-review", #"{"when": "true", "action": "route", "topic": "finance.review"}"#),
            (.acls, "reviewers", #"{"sources": ["reviewer-*"], "topics": ["finance.review"]}"#),
        ])
        guard case .denied(let denied, _) = set.evaluate(try envelope("chat.x", source: "joe"), context: context) else {
            Issue.record("routed past the ACL"); return
        }
        #expect(denied.policyDecision?["rule"] == "acls/reviewers")
        guard case .accepted(let ok, _) = set.evaluate(try envelope("chat.x", source: "reviewer-1"), context: context) else {
            Issue.record("denied"); return
        }
        #expect(ok.topic.value == "finance.review")
    }

    @Test func tinyRatesAreRefusedAtSave() throws {
        #expect { try ConstraintSet.validate(try ConfigKey(.limits, "l"), try JSONParser.parse(#"{"key": "topic", "rate": 1e-10, "per": "hour"}"#)) }
            throws: { ($0 as? PlexusError)?.pointer == "/rate" }
    }
}
