import Testing
@testable import PlexusCore

@Suite struct AccessRuleTests {
    func rules(_ specs: [(String, String)]) throws -> AccessRules {
        AccessRules(rules: try specs.map { try AccessRule(name: $0.0, try JSONParser.parse($0.1)) })
    }

    func denial(_ rules: AccessRules, source: String?, org: String = "acme", topic: String, to recipients: [String] = []) throws -> String? {
        var applied: [String] = []
        return rules.denial(source: source, organisation: org, topic: try Topic(topic), recipients: recipients, applied: &applied)?.rule
    }

    @Test func ungovernedTopicsAndSubjectsAreOpen() throws {
        let acl = try rules([("fin", #"{"sources": ["fin-*"], "topics": ["finance.>"]}"#)])
        #expect(try denial(acl, source: "anyone", topic: "chat.general") == nil)
        #expect(try denial(acl, source: "anyone", topic: "chat.general", to: ["bob"]) == nil)
    }

    @Test func aGovernedTopicNeedsAnAllowingRule() throws {
        let acl = try rules([("fin", #"{"sources": ["fin-*"], "topics": ["finance.>"]}"#)])
        #expect(try denial(acl, source: "fin-bot", topic: "finance.eu.orders") == nil)
        #expect(try denial(acl, source: "chat-bot", topic: "finance.eu.orders") == "acls/fin")
        #expect(try denial(acl, source: nil, topic: "finance.x") == "acls/fin")
    }

    @Test func denyWinsOverAllow() throws {
        let acl = try rules([
            ("all", #"{"topics": ["finance.>"]}"#),
            ("no-intern", #"{"effect": "deny", "sources": ["intern-*"], "topics": ["finance.>"]}"#),
        ])
        #expect(try denial(acl, source: "alice", topic: "finance.a") == nil)
        #expect(try denial(acl, source: "intern-7", topic: "finance.a") == "acls/no-intern")
    }

    @Test func recipientsAndOrganisationsWithWildcards() throws {
        let acl = try rules([("auditors", #"{"organisations": ["acme", "acme-*"], "subjects": ["auditor-*"]}"#)])
        #expect(try denial(acl, source: "x", org: "acme-eu", topic: "t", to: ["auditor-1"]) == nil)
        #expect(try denial(acl, source: "x", org: "globex", topic: "t", to: ["bob", "auditor-1"]) == "acls/auditors")
    }

    @Test(arguments: [
        (#"{"effect": "maybe", "topics": ["a"]}"#, "/effect"),
        (#"{"sources": ["a"]}"#, nil),
        (#"{"topics": ["a..b"]}"#, "/topics/0"),
        (#"{"topics": "a"}"#, "/topics"),
        (#"{"topics": ["a"], "colour": "red"}"#, "/colour"),
    ] as [(String, String?)])
    func badACLsAreRefusedNamingTheField(_ text: String, _ pointer: String?) throws {
        #expect { try AccessRule(name: "x", try JSONParser.parse(text)) } throws: { error in
            (error as? PlexusError)?.pointer == pointer
        }
    }
}

extension AccessRuleTests {
    @Test func aLoneDenyRuleBlocksOnlyWhomItNames() throws {
        let acl = try rules([("no-bad", #"{"effect": "deny", "sources": ["bad-*"], "topics": ["finance.>"]}"#)])
        #expect(try denial(acl, source: "good", topic: "finance.a") == nil)
        #expect(try denial(acl, source: "bad-1", topic: "finance.a") == "acls/no-bad")
    }
}
