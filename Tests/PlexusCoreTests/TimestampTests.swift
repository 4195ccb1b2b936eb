import Testing
@testable import PlexusCore

@Suite struct TimestampTests {
    @Test func formatsUTCWithMicroseconds() {
        #expect(Timestamp(microseconds: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: 1_795_977_723_123_456).rfc3339 == "2026-11-29T18:42:03.123456Z")
        #expect(Timestamp(microseconds: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: 951_782_400_000_000).rfc3339 == "2000-02-29T00:00:00.000000Z")
    }

    @Test(arguments: [
        ("2026-11-29T18:42:03.123456Z", Int64(1_795_977_723_123_456)),
        ("2026-11-29T18:42:03Z", Int64(1_795_977_723_000_000)),
        ("2026-11-29t18:42:03.1z", Int64(1_795_977_723_100_000)),
        ("2026-11-29 20:42:03.123456789+02:00", Int64(1_795_977_723_123_456)),
        ("2026-11-29T13:42:03-05:00", Int64(1_795_977_723_000_000)),
    ])
    func parses(_ text: String, _ micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == micros)
    }

    @Test(arguments: [
        "", "2026-11-29", "2026-11-29T18:42:03", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-29T24:00:00Z", "2026-11-29T18:42:03.Z", "2026-11-29T18:42:03Zjunk", "yesterday",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func roundTrips() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1_000 {
            let ts = Timestamp(microseconds: Int64(rng.next() % 4_000_000_000_000_000))
            #expect(Timestamp(rfc3339: ts.rfc3339) == ts)
        }
    }
}
