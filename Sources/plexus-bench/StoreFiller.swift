import Logging
import PlexusCore
import PlexusStore

/// Fills a log with `rows` messages straight through `SQLiteMessageStore.append` (no HTTP), so the
/// query benchmark reads a realistically large file without spending minutes ingesting it.
/// `synchronous=NORMAL` because the fill is set-up, not the figure; its rate is printed anyway.
struct StoreFiller: Sendable {
    let factory: MessageFactory
    let batch: Int

    struct Result: Sendable {
        var rowsPerSecond: Double
        var seconds: Double
        /// A spread of ids that are in the log, for by-uuid queries.
        var sampleIDs: [MessageID]
    }

    /// Builds records on one task while earlier batches commit (up to 3 appends in flight), so the
    /// rate is the store's with record building overlapped on the second core.
    func fill(path: String, rows: Int) async throws -> Result {
        var options = SQLiteStoreOptions()
        options.synchronous = .normal
        var logger = Logger(label: "plexus.bench.fill")
        logger.logLevel = .warning
        let store = try await SQLiteMessageStore.open(path: path, options: options, logger: logger)
        return try await fill(store, rows: rows)
    }

    /// Fills an open store (closed at the end) with messages 0..<rows.
    func fill(_ store: any MessageStore, rows: Int) async throws -> Result {
        let batches = (rows + batch - 1) / batch
        let sampleEvery = max(1, rows / 4_000)
        let factory = self.factory
        let batch = self.batch
        let watch = Stopwatch()
        do {
            let ids = try await TimeLimit.run(.seconds(1_800), "filling the log with \(rows) rows") {
                try await withThrowingTaskGroup(of: [MessageID].self) { group in
                    var ids: [MessageID] = []
                    for b in 0..<batches {
                        if b >= 3, let done = try await group.next() { ids += done }
                        group.addTask {
                            var rng = SplitMix64(seed: UInt64(b) &+ 1)
                            let range = (b * batch)..<min(rows, (b + 1) * batch)
                            var sample: [MessageID] = []
                            let records = range.map { i in
                                let envelope = factory.envelope(i, rng: &rng)
                                if i % sampleEvery == 0 { sample.append(envelope.messageID) }
                                return LogRecord(envelope: envelope)
                            }
                            let outcomes = try await store.append(records)
                            guard !outcomes.contains(.duplicate) else { throw BenchError("fill produced a duplicate uuid") }
                            return sample
                        }
                    }
                    for try await done in group { ids += done }
                    return ids
                }
            }
            let seconds = watch.seconds
            let count = try await store.count()
            try await store.close()
            guard count == rows else { throw BenchError("filled \(count) rows, expected \(rows)") }
            return Result(rowsPerSecond: Double(rows) / seconds, seconds: seconds, sampleIDs: ids)
        } catch {
            try? await store.close()
            throw error
        }
    }
}
