import Testing
@testable import PlexusCore

@Suite struct MessageQueryTests {
    @Test func parsesEveryParameter() throws {
        let query = try MessageQuery.parse([
            ("subject", "alpha"), ("topic", "agents.>"), ("since", "2026-01-01T00:00:00Z"),
            ("until", "1800000000"), ("limit", "20"), ("cursor", "v1.123.45"),
        ])
        #expect(query.subject == "alpha")
        #expect(query.topic?.value == "agents.>")
        #expect(query.since == Timestamp(rfc3339: "2026-01-01T00:00:00Z"))
        #expect(query.until == Timestamp(microseconds: 1_800_000_000_000_000))
        #expect(query.limit == 20)
        #expect(query.cursor == QueryCursor(originTS: Timestamp(microseconds: 123), seq: 45))
    }

    // RELIABILITY B6: bad cursor, negative limit and friends are 400s naming the parameter.
    @Test(arguments: [
        [("limit", "-1")], [("limit", "0")], [("limit", "1001")], [("limit", "ten")],
        [("cursor", "garbage")], [("cursor", "v1.1")], [("cursor", "v1.x.2")],
        [("since", "yesterday")], [("topic", "a..b")], [("subjet", "typo")],
        [("subject", "")], [("limit", "1"), ("limit", "2")],
        [("since", "2026-01-02T00:00:00Z"), ("until", "2026-01-01T00:00:00Z")],
    ])
    func rejectsBadParameters(_ parameters: [(String, String)]) {
        #expect {
            _ = try MessageQuery.parse(parameters)
        } throws: { error in
            (error as? PlexusError)?.code == .invalidQuery
        }
    }

    @Test func cursorRoundTrips() {
        let cursor = QueryCursor(originTS: Timestamp(microseconds: 1_795_977_723_000_000), seq: 99)
        #expect(QueryCursor(cursor.description) == cursor)
    }

    @Test func streamFilterMatchesTopicAndSubject() throws {
        var rng = SplitMix64(seed: 3)
        let message = try IngestPipeline(node: "n").accept(
            Array(#"{"topic": "agents.alpha.events", "source_subject_id": "alpha", "destination_subject_ids": ["beta"]}"#.utf8),
            now: Timestamp(microseconds: 0), rng: &rng)[0]
        #expect(try StreamFilter.parse([("topic", "agents.*.events")]).matches(message))
        #expect(try StreamFilter.parse([("subject", "beta")]).matches(message))
        #expect(try StreamFilter.parse([("subject", "alpha"), ("topic", "agents.>")]).matches(message))
        #expect(try !StreamFilter.parse([("subject", "gamma")]).matches(message))
        #expect(try !StreamFilter.parse([("topic", "agents.beta.>")]).matches(message))
        #expect(throws: PlexusError.self) { try StreamFilter.parse([("topc", "x")]) }
    }
}

@Suite struct QueryBoundsTests {
    /// A huge Unix-seconds value used to overflow and crash the node; it is a 400 now.
    @Test(arguments: ["99999999999999", "-1", "253402300800", "9223372036854775807"])
    func outOfRangeUnixSecondsAreRefused(_ value: String) {
        #expect(throws: PlexusError.self) { try MessageQuery.parse([("since", value)]) }
    }

    /// A valid local time whose offset carries it out of 0000...9999 cannot be written back.
    @Test(arguments: ["0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-01:00"])
    func timestampsOutsideWritableYearsAreRefused(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
