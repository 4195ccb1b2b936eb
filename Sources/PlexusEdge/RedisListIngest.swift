import Logging
import NIOCore
import PlexusAPI
import PlexusCore
import PlexusRedis

/// Takes messages from one Redis list with the reliable-queue pattern, so an item is never lost
/// between Redis and the log:
///
/// 1. A script moves up to `batch` items from the head of the list to the tail of this node's
///    processing list, atomically, stamping each (`QueueStamp`).
/// 2. The items are validated and logged in one append.
/// 3. Only then one more script trims them from the processing list and, in the same step,
///    pushes the ones that failed validation to the dead-letter list with the reason.
///
/// A node killed between 1 and 3 finds the items in its processing list at the next start and
/// logs them again; an item without `message_uuid` gets the id derived from its stamp, so the
/// log keeps it once. While the list is empty the loop waits on the server with
/// `BLMOVE list list LEFT LEFT` (moves the head onto itself: a wait that changes nothing).
struct RedisListIngest: Sendable {
    let list: String
    let processing: String
    let counter: String
    let deadLetters: String
    let node: String
    let batch: Int
    let maxItemBytes: Int
    let connection: RedisConnection
    let ingestor: any MessageIngestor
    let ids: FallbackMessageIDs
    let monitor: EdgeMonitor
    let logger: Logger

    /// Batches being logged at once: the next batch is taken while the previous one commits,
    /// so the list's round trips and the log's group commits overlap. Batches are finished
    /// (trimmed) in the order they were taken, which the processing list's order requires.
    static let depth = 4

    /// Most bytes of items in one batch (the take script stops short of it), so the batches in
    /// flight hold at most `depth` × 8 MiB whatever clients push.
    static let batchBytes = 8 << 20

    /// Runs until cancelled. Errors of Redis or of the log are reported and retried; after a
    /// Redis error the loop starts over from the processing list, whatever state it was left in.
    func run() async {
        var backoff = Duration.milliseconds(50)
        while !Task.isCancelled {
            var inFlight: [(entries: [[UInt8]], logging: Task<[Result<IngestReceipt, PlexusError>], Never>)] = []
            do {
                try await recover()
                while !Task.isCancelled {
                    if inFlight.count < Self.depth {
                        let entries = try await take()
                        if !entries.isEmpty {
                            inFlight.append((entries, Task { await log(entries) }))
                            continue
                        }
                        if inFlight.isEmpty {
                            try await waitForItems()
                            continue
                        }
                    }
                    let oldest = inFlight.removeFirst()
                    let results = await withTaskCancellationHandler { await oldest.logging.value } onCancel: { oldest.logging.cancel() }
                    try await finish(oldest.entries, results)
                    backoff = .milliseconds(50)
                }
            } catch {
                if !Task.isCancelled {
                    monitor.failed(error)
                    logger.warning("redis ingest paused", metadata: ["plexus.edge.list": "\(list)", "plexus.error": "\(error)"])
                }
            }
            // Appends under way complete (or give up, when cancelled); what they logged is
            // found again, and de-duplicated, when the loop starts over from the processing list.
            for batch in inFlight {
                if Task.isCancelled { batch.logging.cancel() }
                _ = await batch.logging.value
            }
            if Task.isCancelled { return }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Blocks on the server until the list has an item (or a second passed): `BLMOVE` of the
    /// head onto itself. A server without BLMOVE (before 6.2) is polled every 100 ms instead —
    /// `BRPOPLPUSH list list` would move the tail to the head and change the order.
    func waitForItems() async throws {
        let reply = try await connection.blockingCommand(
            ["BLMOVE", RedisArgument(list), RedisArgument(list), "LEFT", "LEFT", "1"], blockFor: .seconds(1))
        guard let message = reply.errorMessage else { return }
        if message.lowercased().hasPrefix("err unknown command") {
            try await Task.sleep(for: .milliseconds(100))
        } else {
            throw EdgeError(.server, "Redis refused BLMOVE on \(list): \(message)")
        }
    }

    /// Logs what an earlier run took but did not finish.
    func recover() async throws {
        while !Task.isCancelled {
            let reply = try await connection.command("LRANGE", RedisArgument(processing), 0, RedisArgument(batch - 1))
            let entries = try Self.bulks(reply, from: "LRANGE \(processing)")
            if entries.isEmpty { return }
            logger.info("redis ingest: finishing items taken before a restart", metadata: ["plexus.edge.list": "\(list)", "plexus.count": "\(entries.count)"])
            try await finish(entries, await log(entries))
        }
    }

    func take() async throws -> [[UInt8]] {
        let reply = try await connection.command(
            "EVAL", RedisArgument(RedisEdgeScripts.take), 4, RedisArgument(list), RedisArgument(processing), RedisArgument(counter),
            RedisArgument(deadLetters), RedisArgument(batch), RedisArgument(maxItemBytes), RedisArgument(node), RedisArgument(Self.batchBytes))
        return try Self.bulks(reply, from: "the take script on \(list)")
    }

    /// Logs `entries`, waiting while the log is unavailable (the items stay in the processing
    /// list meanwhile). Returns one outcome per entry, none of them `.unavailable` unless the
    /// task was cancelled.
    func log(_ entries: [[UInt8]]) async -> [Result<IngestReceipt, PlexusError>] {
        let items = entries.map { entry -> IngestItem in
            let (stamp, item) = QueueStamp.split(entry)
            return IngestItem(body: ByteBuffer(bytes: item), fallbackID: stamp.map { ids.id(node: node, list: list, stamp: $0) })
        }
        return await ingestor.ingestWaiting(items, via: .redis) { results in
            let why = results.contains(where: \.isUnavailable) ? "the log is unavailable" : "a rate limit is exhausted"
            monitor.failed(EdgeError(.server, "\(why); \(entries.count) Redis items wait in \(processing)"))
        }
    }

    /// Trims `entries` (the head of the processing list, now logged) and dead-letters the ones
    /// that failed validation, in one step. Throws, trimming nothing, if any is not logged yet.
    func finish(_ entries: [[UInt8]], _ results: [Result<IngestReceipt, PlexusError>]) async throws {
        if results.contains(where: \.mustWait) { throw CancellationError() }
        var letters: [RedisArgument] = []
        var logged = 0
        for (entry, result) in zip(entries, results) {
            switch result {
            case .success(let receipt):
                if !receipt.duplicate { logged += 1 }
            case .failure(let error):
                letters.append(RedisArgument(deadLetter(QueueStamp.split(entry).item, error)))
            }
        }
        let reply = try await connection.command(
            ["EVAL", RedisArgument(RedisEdgeScripts.finish), 2, RedisArgument(processing), RedisArgument(deadLetters), RedisArgument(entries.count)] + letters)
        if let message = reply.errorMessage { throw EdgeError(.server, "Redis refused to finish a batch of \(list): \(message)") }
        monitor.update {
            $0.ingested += logged
            $0.rejected += letters.count
        }
        if !letters.isEmpty {
            logger.notice("redis ingest: items failed validation", metadata: ["plexus.edge.list": "\(list)", "plexus.dead_letters": "\(deadLetters)", "plexus.count": "\(letters.count)"])
        }
    }

    /// What a dead-letter entry says: the item as pushed, why it was refused, and where from.
    func deadLetter(_ item: ArraySlice<UInt8>, _ error: PlexusError) -> [UInt8] {
        var reason: JSONObject = ["code": .string(error.code.rawValue), "message": .string(error.message)]
        if let pointer = error.pointer { reason["pointer"] = .string(pointer) }
        let letter: JSONValue = .object([
            "item": .string(String(decoding: item, as: UTF8.self)),
            "error": .object(reason),
            "list": .string(list),
            "node": .string(node),
        ])
        return letter.serialized()
    }

    static func bulks(_ reply: RedisReply, from what: String) throws -> [[UInt8]] {
        switch reply {
        case .array(let elements): return elements.compactMap(\.bytes)
        case .null: return []
        case .error(let message): throw EdgeError(.server, "Redis refused \(what): \(message)")
        default: throw EdgeError(.server, "Redis answered \(what) with \(reply)")
        }
    }
}
