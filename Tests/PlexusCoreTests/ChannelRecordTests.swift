import Testing

@testable import PlexusCore

/// Channel documents: each kind's settings are checked when the channel is saved, and reads never
/// show a secret.
@Suite struct ChannelRecordTests {
    func channel(_ metadata: JSONObject, id: String = "ops", extra: JSONObject = [:]) throws(PlexusError) -> ChannelRecord {
        var body: JSONObject = ["channel_name": "Ops", "channel_metadata": .object(metadata)]
        for (key, value) in extra { body[key] = value }
        return try ChannelRecord(id: id, .object(body))
    }

    func refusal(_ metadata: JSONObject, id: String = "ops", extra: JSONObject = [:]) -> PlexusError? {
        do {
            _ = try channel(metadata, id: id, extra: extra)
            return nil
        } catch {
            return error
        }
    }

    static let valid: [ChannelKind: JSONObject] = [
        .webhook: ["type": "webhook", "endpoint_url": "https://hooks.example/hitl", "secret": "whsec_abc"],
        .slack: ["type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/X", "signing_secret": "8f7e"],
        .teams: ["type": "teams", "webhook_url": "https://outlook.office.com/webhook/abc"],
        .email: ["type": "email", "smtp_host": "mail.example", "smtp_port": 587, "from": "plexus@example.com", "to": ["a@example.com", "b@example.com"], "password": "hunter2"],
        .mesh: ["type": "mesh", "subject_id": "human-alice"],
        .inbox: ["type": "inbox"],
    ]

    /// The settings each kind cannot do without.
    static let required: [ChannelKind: [String]] = [
        .webhook: ["endpoint_url"], .slack: ["webhook_url", "signing_secret"], .teams: ["webhook_url"],
        .email: ["smtp_host", "from", "to"], .mesh: ["subject_id"], .inbox: [],
    ]

    @Test(arguments: ChannelKind.allCases)
    func eachKindSavesWithItsSettings(_ kind: ChannelKind) throws {
        let record = try channel(Self.valid[kind]!)
        #expect(record.kind == kind)
        #expect(record.id == "ops" && record.name == "Ops" && record.description == "" && record.tags.isEmpty)
        #expect(record.metadata == Self.valid[kind]!)
    }

    @Test(arguments: ChannelKind.allCases)
    func eachRequiredSettingIsNamedWhenMissing(_ kind: ChannelKind) {
        for key in Self.required[kind]! {
            var metadata = Self.valid[kind]!
            metadata[key] = nil
            let missing = refusal(metadata)
            #expect(missing?.code == .invalidField, "\(kind) \(key)")
            #expect(missing?.pointer == "/channel_metadata/\(key)", "\(kind) \(key)")
            metadata[key] = ""
            #expect(refusal(metadata)?.pointer == "/channel_metadata/\(key)", "\(kind) \(key) empty")
            metadata[key] = 42
            #expect(refusal(metadata)?.pointer == "/channel_metadata/\(key)", "\(kind) \(key) not a string")
        }
    }

    @Test func emailChecksPortAndAddresses() throws {
        var metadata = Self.valid[.email]!
        metadata["to"] = "one@example.com"
        #expect(try channel(metadata).recipients == ["one@example.com"])
        for bad: JSONValue in [[], "", ["ok@example.com", ""], ["ok@example.com", 5], nil] {
            metadata["to"] = bad
            #expect(refusal(metadata)?.pointer == "/channel_metadata/to", "\(bad)")
        }
        metadata["to"] = "one@example.com"
        for port: JSONValue in [0, 65_536, "25", 25.0] {
            metadata["smtp_port"] = port
            #expect(refusal(metadata)?.pointer == "/channel_metadata/smtp_port", "\(port)")
        }
        metadata["smtp_port"] = nil
        #expect(try channel(metadata).kind == .email)
        // A header injection, with a CRLF (one Swift Character) or a bare line feed.
        for from in ["a@example.com\r\nBcc: everyone@example.com", "a@example.com\nBcc: x@example.com", "a@example.com\r"] {
            metadata["from"] = .string(from)
            #expect(refusal(metadata)?.pointer == "/channel_metadata", "\(from.debugDescription)")
        }
        metadata["from"] = "plexus@example.com"
        metadata["to"] = ["ok@example.com", "<evil@example.com>"]
        #expect(refusal(metadata)?.pointer == "/channel_metadata")
    }

    @Test func aMeshSubjectMustBeAnID() {
        #expect(refusal(["type": "mesh", "subject_id": "human alice"])?.pointer == "/channel_metadata/subject_id")
    }

    @Test func kindIsInferredFromEndpointURL() throws {
        let record = try channel(["endpoint_url": "https://agent.example/hitl"])
        #expect(record.kind == .webhook)
        #expect(record.url == "https://agent.example/hitl")
        // Neither a type nor an endpoint: the type is required.
        #expect(refusal(["webhook_url": "https://hooks.slack.com/x"])?.pointer == "/channel_metadata/type")
        #expect(refusal([:])?.pointer == "/channel_metadata/type")
        #expect(refusal(["type": "pager"])?.pointer == "/channel_metadata/type")
        #expect(refusal(["type": 3])?.pointer == "/channel_metadata/type")
        #expect(refusal(["type": "Slack"])?.pointer == "/channel_metadata/type")
    }

    @Test func urlIsTheKindsDestination() throws {
        #expect(try channel(Self.valid[.webhook]!).url == "https://hooks.example/hitl")
        #expect(try channel(Self.valid[.slack]!).url == "https://hooks.slack.com/services/T/B/X")
        #expect(try channel(Self.valid[.teams]!).url == "https://outlook.office.com/webhook/abc")
        #expect(try channel(Self.valid[.email]!).url == nil)
        #expect(try channel(Self.valid[.mesh]!).url == nil)
    }

    @Test func secretsAreMaskedInReads() throws {
        let slack = try channel(Self.valid[.slack]!)
        let masked = slack.maskedJSON["channel_metadata"]
        #expect(masked?["signing_secret"] == "…(hidden)")
        #expect(masked?["webhook_url"] == "…(hidden)")
        #expect(masked?["type"] == "slack")
        // The record itself, and its stored document, keep them.
        #expect(slack.json["channel_metadata"]?["signing_secret"] == "8f7e")

        #expect(try channel(Self.valid[.webhook]!).maskedJSON["channel_metadata"]?["secret"] == "…(hidden)")
        #expect(try channel(Self.valid[.webhook]!).maskedJSON["channel_metadata"]?["endpoint_url"] == "https://hooks.example/hitl")
        #expect(try channel(Self.valid[.teams]!).maskedJSON["channel_metadata"]?["webhook_url"] == "…(hidden)")
        let email = try channel(Self.valid[.email]!).maskedJSON["channel_metadata"]
        #expect(email?["password"] == "…(hidden)" && email?["smtp_host"] == "mail.example")
        // A secret that was never set is not invented.
        #expect(try channel(["type": "webhook", "endpoint_url": "https://x.example"]).maskedJSON["channel_metadata"]?["secret"] == nil)
        #expect(try channel(Self.valid[.mesh]!).maskedJSON == channel(Self.valid[.mesh]!).json)
    }

    @Test func theDocumentRoundTrips() throws {
        let record = try channel(Self.valid[.slack]!, extra: ["channel_description": "Ops approvals", "channel_tags": ["ops", "eu"], "channel_id": "ops"])
        #expect(record.description == "Ops approvals" && record.tags == ["ops", "eu"])
        #expect(try ChannelRecord(id: "ops", record.json) == record)
        #expect(record.json.objectValue?.keys.elements == ["channel_id", "channel_name", "channel_description", "channel_metadata", "channel_tags"])
        // The name defaults to the id.
        #expect(try ChannelRecord(id: "ops", ["channel_metadata": ["type": "inbox"]]).name == "ops")
    }

    @Test func unknownFieldsAreRefused() {
        let error = refusal(Self.valid[.inbox]!, extra: ["channel_type": "slack"])
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/channel_type")
        #expect(error?.message.contains("channel_metadata") == true)
    }

    @Test func theBodyIsChecked() {
        let inbox = Self.valid[.inbox]!
        #expect(refusal(inbox, extra: ["channel_id": "other"])?.pointer == "/channel_id")
        #expect(refusal(inbox, id: "has space")?.pointer == "/channel_id")
        #expect(refusal(inbox, id: "")?.pointer == "/channel_id")
        #expect(refusal(inbox, extra: ["channel_name": 5])?.pointer == "/channel_name")
        #expect(refusal(inbox, extra: ["channel_description": .string(String(repeating: "x", count: 4097))])?.pointer == "/channel_description")
        #expect(refusal(inbox, extra: ["channel_metadata": "slack"])?.pointer == "/channel_metadata")
        #expect(refusal(inbox, extra: ["channel_tags": "ops"])?.pointer == "/channel_tags")
        #expect(refusal(inbox, extra: ["channel_tags": ["ops", ""]])?.pointer == "/channel_tags/1")
        #expect(refusal(inbox, extra: ["channel_tags": ["ops", 1]])?.pointer == "/channel_tags/1")
        #expect(throws: PlexusError.self) { try ChannelRecord(id: "ops", ["a", "b"]) }
    }

    @Test func theBuiltInInbox() {
        #expect(ChannelRecord.inbox.id == "inbox" && ChannelRecord.inbox.kind == .inbox && ChannelRecord.inbox.url == nil)
        #expect(ChannelRecord.inbox.maskedJSON["channel_metadata"] == ["type": "inbox"])
    }
}
