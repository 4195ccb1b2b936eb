import PlexusCore
import PlexusStore

/// The messages every benchmark uses, one shape throughout: what wrk and the WebSocket clients send
/// is exactly what the raw-SQLite and store benchmarks insert (run through the node's own
/// `IngestPipeline`), so the figures compare the same rows at every layer.
///
/// Message `i` is on topic `bench.t<i mod topics>.events`, from `subject-<i mod subjects>` to one
/// other subject, with a small JSON payload — about the size of a typical agent event.
struct MessageFactory: Sendable {
    var subjects: Int
    var topics: Int
    let pipeline = IngestPipeline(node: "bench")

    static let seededClock = Timestamp(microseconds: 1_750_000_000_000_000)

    func subject(_ n: Int) -> String { "subject-\(n % subjects)" }
    func topic(_ n: Int) -> String { "bench.t\(n % topics).events" }
    func recipient(_ i: Int) -> String { subject((i &* 7 &+ 13) % subjects) }

    /// Message `i` as a client sends it (no uuid, no timestamps: the node fills those).
    func input(_ i: Int) -> JSONValue {
        .object([
            "topic": .string(topic(i)),
            "message_type": "bench.event",
            "source_subject_id": .string(subject(i)),
            "destination_subject_ids": .array([.string(recipient(i))]),
            "data": .object([
                "seq": .integer(Int64(i)),
                "text": "the quick brown fox jumps over the lazy dog",
                "ok": true,
            ]),
        ])
    }

    /// A request body: one object when `count` is 1, else a JSON array (a batch).
    func body(count: Int, startingAt first: Int = 0) -> [UInt8] {
        if count == 1 { return input(first).serialized() }
        return JSONValue.array((first..<first + count).map(input)).serialized()
    }

    /// `rows` log records made by the node's pipeline from `batchSize`-message bodies, each with a
    /// fresh uuid, as the HTTP ingest path would log them.
    func records(rows: Int, batchSize: Int) throws -> [LogRecord] {
        var rng = SplitMix64(seed: 42)
        var out: [LogRecord] = []
        out.reserveCapacity(rows)
        var clock = Self.seededClock
        while out.count < rows {
            let count = min(batchSize, rows - out.count)
            let envelopes = try pipeline.accept(body(count: count), now: clock, rng: &rng)
            out.append(contentsOf: envelopes.map { LogRecord(envelope: $0) })
            clock = clock.adding(microseconds: 1_000)
        }
        return out
    }

    /// Message `i` of a pre-filled log, built directly (no parse) for speed, with origin times one
    /// millisecond apart so time-ordered queries see a realistic spread.
    func envelope(_ i: Int, rng: inout some RandomNumberGenerator) -> Envelope {
        let ts = Self.seededClock.adding(microseconds: Int64(i) * 1_000)
        // Topics and subjects are generated from valid tokens; a failure here is a bug in this file.
        let topic = try! Topic(topic(i))
        return Envelope(
            messageID: .v7(now: ts, rng: &rng),
            originTS: ts,
            ackTS: ts,
            topic: topic,
            messageType: "bench.event",
            sourceSubjectID: subject(i),
            destinationSubjectIDs: [recipient(i)],
            messageData: .object([
                "seq": .integer(Int64(i)),
                "text": "the quick brown fox jumps over the lazy dog",
                "ok": true,
            ]),
            hops: [Hop(node: "bench", ts: ts)]
        )
    }
}
