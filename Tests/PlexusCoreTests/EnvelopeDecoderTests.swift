import Testing
@testable import PlexusCore

@Suite struct EnvelopeDecoderTests {
    let pipeline = IngestPipeline(node: "n1")
    let now = Timestamp(microseconds: 1_795_977_723_000_000)

    func accept(_ text: String, seed: UInt64 = 1) throws(PlexusError) -> [Envelope] {
        var rng = SplitMix64(seed: seed)
        return try pipeline.accept(Array(text.utf8), now: now, rng: &rng)
    }

    func error(_ text: String) -> PlexusError? {
        do { _ = try accept(text); return nil } catch { return error }
    }

    @Test func nativeEnvelopeKeepsEveryField() throws {
        let text = """
        {"message_uuid":"0192F0C4-7A10-7CC1-9A36-2F8E4B5D6A7B","origin_ts":"2026-01-02T03:04:05.5Z",
         "topic":"agents.alpha.events","message_type":"alert","source_subject_id":"alpha",
         "destination_subject_ids":["beta","gamma","beta"],"message_data":{"n":1,"x":[1.5,"s",null]},
         "message_metadata":{"trace":"t1"},"hops":[{"node":"n0","ts":"2026-01-02T03:04:05.6Z"}]}
        """
        let envelope = try #require(try accept(text).first)
        #expect(envelope.messageID.description == "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b")
        #expect(envelope.originTS == Timestamp(rfc3339: "2026-01-02T03:04:05.5Z"))
        #expect(envelope.ackTS == now)
        #expect(envelope.topic.value == "agents.alpha.events")
        #expect(envelope.messageType == "alert")
        #expect(envelope.sourceSubjectID == "alpha")
        #expect(envelope.destinationSubjectIDs == ["beta", "gamma"])
        #expect(envelope.messageData == ["n": 1, "x": [1.5, "s", nil]])
        #expect(envelope.messageMetadata == ["trace": "t1"])
        #expect(envelope.hops.map(\.node) == ["n0", "n1"])
        #expect(envelope.hops.last?.ts == now)
    }

    @Test func originalWrapperWithJSONString() throws {
        let inner = #"{\"topic\": \"fanout.test\", \"data\": {\"k\": \"v\"}}"#
        let envelope = try #require(try accept(#"{"message": "\#(inner)"}"#).first)
        #expect(envelope.topic.value == "fanout.test")
        #expect(envelope.messageData == ["k": "v"])
    }

    @Test func originalWrapperWithObject() throws {
        let envelope = try #require(try accept(#"{"message": {"topic": "fanout.test", "data": 5}}"#).first)
        #expect(envelope.messageData == 5)
    }

    @Test func bareObjectWithData() throws {
        let envelope = try #require(try accept(#"{"topic": "a.b", "data": "hi"}"#).first)
        #expect(envelope.messageData == "hi")
        #expect(envelope.messageType == "message")
        #expect(envelope.sourceSubjectID == nil)
    }

    @Test func normalisationFillsIdAndTimesReproducibly() throws {
        let a = try accept(#"{"topic": "a.b"}"#, seed: 42)[0]
        let b = try accept(#"{"topic": "a.b"}"#, seed: 42)[0]
        let c = try accept(#"{"topic": "a.b"}"#, seed: 43)[0]
        #expect(a.messageID == b.messageID)
        #expect(a.messageID != c.messageID)
        #expect(a.originTS == now)
        // UUIDv7: version nibble 7, variant 10, the first 48 bits are the Unix milliseconds.
        let text = a.messageID.description
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        let msHex = String(text.replacingOccurrences(of: "-", with: "").prefix(12))
        #expect(Int64(msHex, radix: 16) == now.milliseconds)
    }

    @Test func batchOfMixedShapes() throws {
        let envelopes = try accept(#"[{"topic": "a"}, {"message": "{\"topic\": \"b\"}"}, {"topic": "c", "message_data": 1}]"#)
        #expect(envelopes.map(\.topic.value) == ["a", "b", "c"])
        #expect(Set(envelopes.map(\.messageID)).count == 3)
    }

    @Test func unknownFieldsAreKeptInMetadata() throws {
        let envelope = try accept(#"{"topic": "a", "sender": "x", "priority": 3}"#)[0]
        #expect(envelope.messageMetadata["extra"] == ["sender": "x", "priority": 3])
    }

    @Test func epochSecondsAreAcceptedForOriginTS() throws {
        let envelope = try accept(#"{"topic": "a", "origin_ts": 1700000000.25}"#)[0]
        #expect(envelope.originTS == Timestamp(microseconds: 1_700_000_000_250_000))
    }

    @Test func wireFormHasAllFieldsInOrder() throws {
        let envelope = try accept(#"{"topic": "a", "message_uuid": "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b"}"#)[0]
        let keys = envelope.json.objectValue.map { Array($0.keys) }
        #expect(keys == ["message_uuid", "origin_ts", "ack_ts", "topic", "message_type", "source_subject_id",
                         "destination_subject_ids", "message_data", "message_metadata", "hops"])
        // The wire form decodes back to the same envelope.
        var rng = SplitMix64(seed: 0)
        let again = try IngestPipeline(node: "n1").normalize(envelope.json, now: now, rng: &rng)[0]
        #expect(again.messageID == envelope.messageID)
        #expect(again.hops.count == 2)
    }

    // RELIABILITY B4: missing or empty topic, spaces, CR/LF, wildcards, `..`.
    @Test(arguments: [
        (#"{"data": 1}"#, PlexusError.Code.missingTopic, "/topic"),
        (#"{"topic": "", "data": 1}"#, .missingTopic, "/topic"),
        (#"{"topic": null}"#, .missingTopic, "/topic"),
        (#"{"topic": 5}"#, .invalidTopic, "/topic"),
        (#"{"topic": "a b"}"#, .invalidTopic, "/topic"),
        (#"{"topic": "a\r\nPUB x 1"}"#, .invalidTopic, "/topic"),
        (#"{"topic": "a.*"}"#, .invalidTopic, "/topic"),
        (#"{"topic": "a.>"}"#, .invalidTopic, "/topic"),
        (#"{"topic": "a..b"}"#, .invalidTopic, "/topic"),
        (#"{"message": "{\"data\": 1}"}"#, .missingTopic, "/message/topic"),
        (#"[{"topic": "a"}, {"topic": "b c"}]"#, .invalidTopic, "/1/topic"),
    ])
    func badTopics(_ text: String, _ code: PlexusError.Code, _ pointer: String) {
        let error = error(text)
        #expect(error?.code == code)
        #expect(error?.pointer == pointer)
    }

    // RELIABILITY B6 (malformed UUID) and field types.
    @Test(arguments: [
        (#"{"topic": "a", "message_uuid": "not-a-uuid"}"#, "/message_uuid"),
        (#"{"topic": "a", "message_uuid": "0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7"}"#, "/message_uuid"),
        (#"{"topic": "a", "origin_ts": "yesterday"}"#, "/origin_ts"),
        (#"{"topic": "a", "destination_subject_ids": 5}"#, "/destination_subject_ids"),
        (#"{"topic": "a", "destination_subject_ids": ["ok", ""]}"#, "/destination_subject_ids/1"),
        (#"{"topic": "a", "source_subject_id": "has space"}"#, "/source_subject_id"),
        (#"{"topic": "a", "message_metadata": []}"#, "/message_metadata"),
        (#"{"topic": "a", "data": 1, "message_data": 2}"#, "/data"),
        (#"{"topic": "a", "hops": [{"node": 1}]}"#, "/hops/0"),
        (#"{"message": "{not json"}"#, "/message"),
        (#"{"message": 5}"#, "/message"),
    ])
    func badFields(_ text: String, _ pointer: String) {
        let error = error(text)
        #expect(error != nil)
        #expect(error?.pointer == pointer)
    }

    // RELIABILITY B1-B3 at the pipeline: size, depth, JSON validity.
    @Test func limits() {
        let small = IngestPipeline(node: "n", limits: IngestLimits(maxBodyBytes: 64, maxDepth: 8, maxBatch: 2))
        var rng = SplitMix64(seed: 1)
        func code(_ text: String) -> PlexusError.Code? {
            do { _ = try small.accept(Array(text.utf8), now: now, rng: &rng); return nil } catch { return error.code }
        }
        #expect(code(#"{"topic": "a", "data": "\#(String(repeating: "x", count: 100))"}"#) == .tooLarge)
        #expect(code(#"{"topic": "a", "data": [[[[[[[[[[1]]]]]]]]]]}"#) == .tooDeep)
        #expect(code(#"[{"topic": "a"}, {"topic": "b"}, {"topic": "c"}]"#) == .tooLarge)
        #expect(code("[]") == .invalidField)
        #expect(code("5") == .invalidField)
    }

    @Test func tenThousandDeepIsRefusedQuickly() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(error(deep)?.code == .tooDeep)
        let wrapped = #"{"message": "\#(String(repeating: "[", count: 10_000))"}"#
        #expect(error(wrapped)?.code == .tooDeep)
    }

    @Test(arguments: [
        [0x7B, 0xFF, 0x7D],                                  // invalid UTF-8
        [0x22, 0xC0, 0xAF, 0x22],                            // overlong '/'
        Array(#"{"topic": "a", "data": "\ud800"}"#.utf8),    // lone surrogate
        Array(#"{"topic": "a", "data": "\u0000"}"#.utf8),    // NUL
        Array(#"{"topic": "a", "topic": "b"}"#.utf8),        // duplicate key
        Array(#"{"topic": "a"} x"#.utf8),                    // trailing bytes
        Array(#"{"topic": "a", "data": NaN}"#.utf8),         // NaN
        [],                                                  // empty
    ] as [[UInt8]])
    func invalidJSON(_ bytes: [UInt8]) {
        var rng = SplitMix64(seed: 1)
        #expect {
            _ = try pipeline.accept(bytes, now: now, rng: &rng)
        } throws: { error in
            (error as? PlexusError)?.code == .invalidJSON
        }
    }
}
