import Foundation
import Logging
import PlexusCore
import PlexusStore
import PostgresNIO

/// The writer task: group commits into PostgreSQL, the spool while it is unreachable, the drain
/// after, and hourly partition maintenance. Only this task touches the writer connection, the
/// seq counter and the drain position.
extension PostgresMessageStore {
    struct Drain {
        /// The spool's seq up to which its messages are in PostgreSQL.
        var position: Int64 = 0
        /// The spool's outbox and inbox, read once per drain.
        var outbox: [MessageID: OutboxEntry]?
        var inbox: [MessageID: [String]] = [:]
        /// Spooled messages that could not be read back (the spool file is then kept aside).
        var unreadable = 0
    }

    /// A batch whose statements are written and whose COMMIT is under way, on one connection,
    /// while the writer goes on with the next batch on the other. The commit task resumes the
    /// batch's callers itself; the writer waits for it before the next COMMIT (so commits, and
    /// with them seqs, become visible in order) and before any serial step.
    struct InFlight: Sendable {
        var batch: [Queue.Pending]
        var housekeeping: LogHousekeeping
        /// nil once committed (and the callers resumed), else why the COMMIT failed.
        var commit: Task<(any Error)?, Never>
    }

    func runWriter(link start: PostgresConnector.Link?) async {
        var link = start
        var inFlight: InFlight?
        var drain = Drain()
        var lastAttempt = ContinuousClock.now
        var lastMaintenance = ContinuousClock.now
        /// The connection is gone (or a COMMIT failed): what was in flight and `batch` go to the
        /// spool (or fail), and the writer reconnects later.
        func fail(_ current: PostgresConnector.Link, _ error: any Error, batch: [Queue.Pending], housekeeping: LogHousekeeping) async {
            link = nil
            drain = Drain()
            lastAttempt = ContinuousClock.now
            let unsettled = inFlight
            inFlight = nil
            // A COMMIT under way finishes (or fails) before its connection is closed: callers it
            // resumed are not spooled again.
            let commitFailure = await unsettled?.commit.value
            await lost(current, error)
            if let unsettled, commitFailure != nil {
                await spoolOrFail(unsettled.batch, housekeeping: unsettled.housekeeping, cause: error)
            }
            await spoolOrFail(batch, housekeeping: housekeeping, cause: error)
        }
        /// Waits for the COMMIT in flight, before a serial step or when idle; false when it
        /// failed (then handled as a lost connection).
        func quiesce() async -> Bool {
            guard let current = link else { return false }
            do {
                try await settle(&inFlight)
                return true
            } catch {
                await fail(current, error, batch: [], housekeeping: LogHousekeeping())
                return false
            }
        }
        while let (batch, housekeeping) = await nextBatch() {
            if link == nil, ContinuousClock.now - lastAttempt >= configuration.reconnectInterval {
                lastAttempt = ContinuousClock.now
                link = await reconnect()
            }
            // Woken without work (a failed COMMIT wakes the writer): nothing stays in flight.
            if batch.isEmpty, housekeeping.isEmpty, inFlight != nil { _ = await quiesce() }
            if !batch.isEmpty || !housekeeping.isEmpty {
                if var current = link {
                    do {
                        try await pipeline(batch, housekeeping: housekeeping, link: &current, inFlight: &inFlight)
                        link = current
                    } catch {
                        await fail(current, error, batch: batch, housekeeping: housekeeping)
                    }
                } else {
                    await spoolOrFail(batch, housekeeping: housekeeping, cause: nil)
                }
            }
            if link != nil, state.withLock({ $0.health.spooled > 0 }), await quiesce(), var current = link {
                do {
                    try await drainChunk(&drain, link: &current)
                    link = current
                } catch where PostgresErrors.kind(of: error) == .unreachable {
                    link = nil
                    drain = Drain()  // the spool's outbox and inbox are read again next time
                    await lost(current, error)
                } catch {
                    // Not the connection: keep it, and try the chunk again after a pause
                    // instead of reconnecting in a loop.
                    logger.error("draining the spool failed; retrying", metadata: ["plexus.error": .string(PostgresErrors.describe(error))])
                    if let maxSeq = try? await PostgresSchema.maxSeq(current.connection, logger: logger) { current.nextSeq = maxSeq + 1 }
                    link = current
                    try? await Task.sleep(for: configuration.reconnectInterval)
                }
            }
            if link != nil, ContinuousClock.now - lastMaintenance >= .seconds(3_600), await quiesce(), let current = link {
                lastMaintenance = ContinuousClock.now
                do { try await connector.maintain(current.connection, layout: current.layout, now: now()) } catch {
                    logger.warning("partition maintenance failed; retried in an hour", metadata: ["plexus.error": .string(PostgresErrors.describe(error))])
                }
            }
        }
        _ = await quiesce()
        if let link { await link.release() }
    }

    /// Writes the batch on `link.connection`, waits for the COMMIT in flight (on the other
    /// connection), then starts this batch's COMMIT and leaves it in flight. A batch the fast
    /// path cannot take (a value the server refuses, any failure that is not the connection's)
    /// goes through the serial `commit` once nothing is in flight. Throws when the connection is
    /// gone or the COMMIT in flight failed; `inFlight` then still holds that batch.
    private func pipeline(
        _ batch: [Queue.Pending], housekeeping: LogHousekeeping, link: inout PostgresConnector.Link, inFlight: inout InFlight?
    ) async throws {
        let writer = PostgresBatchWriter(connection: link.connection, logger: logger)
        let committed: PostgresBatchWriter.Committed
        do {
            // Before a duplicate's lookup, the batch in flight commits: the lookup must see what
            // it wrote (a promotion it made, say), as the serial writer's lookup would.
            committed = try await writer.write(batch.map(\.payload), firstSeq: link.nextSeq, housekeeping: housekeeping) {
                try await self.settle(&inFlight)
            }
        } catch where PostgresErrors.kind(of: error) != .unreachable {
            try await settle(&inFlight)
            try await commit(batch, housekeeping: housekeeping, link: &link)
            return
        }
        link.nextSeq = committed.nextSeq
        try await settle(&inFlight)
        let commit = Task(executorPreference: PostgresWriterThread.executor) { [queue] () -> (any Error)? in
            do {
                try await writer.finish()
            } catch {
                queue.wake()
                return error
            }
            for (append, outcomes) in zip(batch, committed.outcomes) { append.succeed(outcomes) }
            return nil
        }
        inFlight = InFlight(batch: batch, housekeeping: housekeeping, commit: commit)
        link.alternate()
    }

    /// Waits for the COMMIT in flight. When the connection failed under it, throws and leaves it
    /// in `inFlight` (the caller spools it: whether it committed is unknown, and the spool's
    /// drain de-duplicates). When the server refused the COMMIT itself (a deferred constraint, a
    /// serialization failure), its callers are told, as after a failed serial commit, and the
    /// writer goes on: the next batch does not depend on it (a message both wrote waited for
    /// this outcome on the unique index).
    private func settle(_ inFlight: inout InFlight?) async throws {
        guard let settling = inFlight else { return }
        if let error = await settling.commit.value {
            if PostgresErrors.kind(of: error) == .unreachable { throw PostgresCommitFailed(reason: PostgresErrors.describe(error)) }
            let rows = settling.batch.reduce(0) { $0 + $1.records.count }
            let failure = StoreError(.ioFailure, "committing \(rows) message(s) to PostgreSQL: \(PostgresErrors.describe(error))")
            logger.error("group commit failed; appends in this batch were not logged", metadata: ["plexus.error": .string(failure.description)])
            for append in settling.batch { append.fail(failure) }
            queue.putBack(settling.housekeeping)
        }
        inFlight = nil
    }

    /// Commits one batch; a batch the server refuses a value of is retried message by message
    /// so that only the refused message is dead-lettered. Throws only when the server is gone
    /// (the caller spools the batch); other failures are reported to the batch's callers here.
    private func commit(_ batch: [Queue.Pending], housekeeping: LogHousekeeping, link: inout PostgresConnector.Link) async throws {
        let writer = PostgresBatchWriter(connection: link.connection, logger: logger)
        let records = batch.map(\.payload)
        do {
            let committed: PostgresBatchWriter.Committed
            do {
                committed = try await writer.commit(records, firstSeq: link.nextSeq, housekeeping: housekeeping)
            } catch let error where isData(error) {
                committed = try await commitOneByOne(records, housekeeping: housekeeping, writer: writer, firstSeq: link.nextSeq)
            }
            link.nextSeq = committed.nextSeq
            for (append, outcomes) in zip(batch, committed.outcomes) { append.succeed(outcomes) }
        } catch let error where PostgresErrors.kind(of: error) == .unreachable {
            throw error
        } catch {
            let failure = StoreError(.ioFailure, "committing \(records.joined().count) message(s) to PostgreSQL: \(PostgresErrors.describe(error))")
            logger.error("group commit failed; appends in this batch were not logged", metadata: ["plexus.error": .string(failure.description)])
            // A message-by-message retry may have committed part of the batch before failing:
            // the seq counter is read back rather than trusted, or every later commit would
            // collide on plexus_log's primary key. (Those callers are told it failed; their
            // retry finds the messages logged and gets `.duplicate`.)
            if let maxSeq = try? await PostgresSchema.maxSeq(link.connection, logger: logger) { link.nextSeq = maxSeq + 1 }
            for append in batch { append.fail(failure) }
            queue.putBack(housekeeping)
        }
    }

    private func isData(_ error: any Error) -> Bool {
        if case .data = PostgresErrors.kind(of: error) { return true }
        return false
    }

    /// Each record in a transaction of its own; one the server refuses is committed as a dead
    /// letter with the server's reason. Rare (a value the up-front check does not know), so
    /// its cost does not matter; the result is the same outcomes one commit would have given.
    private func commitOneByOne(
        _ batch: [[PostgresCopyRows.Prepared]], housekeeping: LogHousekeeping, writer: PostgresBatchWriter, firstSeq: Int64
    ) async throws -> PostgresBatchWriter.Committed {
        var nextSeq = firstSeq
        var outcomes: [[AppendOutcome]] = []
        var pendingHousekeeping = housekeeping
        for records in batch {
            var call: [AppendOutcome] = []
            for record in records {
                let single: PostgresBatchWriter.Committed
                do {
                    single = try await writer.commit([[record]], firstSeq: nextSeq, housekeeping: pendingHousekeeping)
                } catch {
                    guard case .data(let reason) = PostgresErrors.kind(of: error) else { throw error }
                    let refusal = "PostgreSQL refused the message: \(reason)"
                    single = try await writer.commit([[record]], firstSeq: nextSeq, housekeeping: pendingHousekeeping,
                                                     refusals: [record.record.envelope.messageID: refusal])
                    logger.warning("message refused by PostgreSQL; dead-lettered", metadata: [
                        "plexus.message": .stringConvertible(record.record.envelope.messageID), "plexus.error": .string(reason),
                    ])
                }
                pendingHousekeeping = LogHousekeeping()
                nextSeq = single.nextSeq
                call.append(contentsOf: single.outcomes.joined())
            }
            outcomes.append(call)
        }
        if !pendingHousekeeping.isEmpty {
            // A housekeeping-only commit the server refused: releases and acks are written
            // without the dead letters it could not take (logged here instead of lost silently).
            do {
                _ = try await writer.commit([], firstSeq: nextSeq, housekeeping: pendingHousekeeping)
            } catch {
                guard case .data = PostgresErrors.kind(of: error) else { throw error }
                logger.error("dead letters refused by PostgreSQL; written to the node's log only", metadata: [
                    "plexus.messages": "\(pendingHousekeeping.deadLetters.map(\.messageID))", "plexus.error": .string(PostgresErrors.describe(error)),
                ])
                pendingHousekeeping.deadLetters = []
                _ = try await writer.commit([], firstSeq: nextSeq, housekeeping: pendingHousekeeping)
            }
        }
        return PostgresBatchWriter.Committed(outcomes: outcomes, nextSeq: nextSeq)
    }

    // MARK: Outage

    private func reconnect() async -> PostgresConnector.Link? {
        do {
            let link = try await connector.link(now: now())
            state.withLock { $0.health.reachable = true }
            logger.info("PostgreSQL is reachable again", metadata: ["plexus.store.spooled": .stringConvertible(health.spooled)])
            return link
        } catch {
            state.withLock { $0.health.lastError = PostgresErrors.describe(error) }
            return nil
        }
    }

    private func lost(_ link: PostgresConnector.Link, _ error: any Error) async {
        let described = PostgresErrors.describe(error)
        state.withLock {
            $0.health.reachable = false
            $0.health.lastError = described
        }
        logger.warning("PostgreSQL went away; spooling locally until it is back", metadata: ["plexus.error": .string(described)])
        await link.close()
    }

    /// While PostgreSQL is unreachable: into the local journal (the callers are acknowledged
    /// once it committed), or a clear failure when there is no spool or it is full.
    private func spoolOrFail(_ batch: [Queue.Pending], housekeeping: LogHousekeeping, cause: (any Error)?) async {
        // Releases, acks and dead letters wait in memory for PostgreSQL (releases and acks went to
        // the spool as well, when they were made).
        queue.putBack(housekeeping)
        guard !batch.isEmpty else { return }
        let rows = batch.reduce(0) { $0 + $1.records.count }
        let (spool, spooled) = state.withLock { ($0.spool, $0.health.spooled) }
        let reason = cause.map { PostgresErrors.describe($0) } ?? state.withLock { $0.health.lastError } ?? "not connected"
        guard let spool else {
            let failure = StoreError(.ioFailure, "PostgreSQL is unreachable (\(reason)) and no spool is configured; nothing was logged")
            for append in batch { append.fail(failure) }
            return
        }
        guard spooled + rows <= configuration.spoolLimit else {
            let failure = StoreError(.full, "PostgreSQL is unreachable and the local spool holds \(spooled) messages (limit \(configuration.spoolLimit)); retry later")
            for append in batch { append.fail(failure) }
            return
        }
        do {
            let outcomes = try await spool.append(batch.flatMap(\.records))
            let added = outcomes.filter { if case .stored = $0 { true } else { false } }.count
            state.withLock { $0.health.spooled += added }
            var start = 0
            for append in batch {
                append.succeed(Array(outcomes[start..<(start + append.records.count)]))
                start += append.records.count
            }
        } catch {
            for append in batch { append.fail(error) }
        }
    }

    /// Copies the next chunk of the spool into PostgreSQL, in spool order; once everything is
    /// copied the spool is replaced by an empty one.
    private func drainChunk(_ drain: inout Drain, link: inout PostgresConnector.Link) async throws {
        guard let spool = state.withLock({ $0.spool }) else { return }
        if drain.outbox == nil {
            drain.outbox = Dictionary(try await spool.outbox().map { ($0.messageID, $0) }, uniquingKeysWith: { a, _ in a })
            drain.inbox = Dictionary(grouping: try await spool.inbox(), by: \.messageID).mapValues { $0.map(\.subject) }
        }
        let stored = try await spool.messages(after: drain.position, limit: configuration.maxBatchRows)
        guard !stored.isEmpty else {
            try await resetSpool(spool, keepingFile: drain.unreadable > 0)
            drain = Drain()
            return
        }
        let records = stored.compactMap { rebuild($0, drain) }.map(PostgresCopyRows.Prepared.init)
        drain.unreadable += stored.count - records.count
        let writer = PostgresBatchWriter(connection: link.connection, logger: logger)
        let committed: PostgresBatchWriter.Committed
        do {
            committed = try await writer.commit([records], firstSeq: link.nextSeq, housekeeping: LogHousekeeping())
        } catch let error where isData(error) {
            committed = try await commitOneByOne([records], housekeeping: LogHousekeeping(), writer: writer, firstSeq: link.nextSeq)
        }
        link.nextSeq = committed.nextSeq
        drain.position = stored.last?.seq ?? drain.position
        state.withLock { $0.health.spooled = max(0, $0.health.spooled - stored.count) }
        logger.debug("drained spool chunk", metadata: ["plexus.store.rows": .stringConvertible(stored.count)])
        if stored.count < configuration.maxBatchRows {
            // That was the last chunk (only this task appends to the spool): start an empty one.
            try await resetSpool(spool, keepingFile: drain.unreadable > 0)
            drain = Drain()
        }
    }

    /// A spooled message as the record it was appended as: its envelope parsed back from the
    /// logged JSON (kept byte for byte), its role, and the outbox and inbox rows it still has.
    private func rebuild(_ stored: StoredMessage, _ drain: Drain) -> LogRecord? {
        do {
            let value = try JSONParser.parse(stored.json, limits: JSONLimits(maxDepth: 1_000))
            var generator = SystemRandomNumberGenerator()
            let envelope = try EnvelopeDecoder.decode(value, limits: IngestLimits()).normalized(node: "", now: stored.originTS, rng: &generator, addHop: false)
            let held = drain.outbox?[stored.messageID]
            var record = LogRecord(envelope: envelope, role: stored.role, outbox: held?.targets ?? [], hopCount: held?.hopCount ?? 0)
            record.json = stored.json
            record.inbox = drain.inbox[stored.messageID] ?? []
            return record
        } catch {
            logger.error("a spooled message cannot be read back; left in the spool file", metadata: [
                "plexus.message": .stringConvertible(stored.messageID), "plexus.error": "\(error)",
            ])
            return nil
        }
    }

    /// Replaces the drained spool with an empty one. A spool holding messages that could not be
    /// read back is kept aside (renamed, with the time), never deleted.
    private func resetSpool(_ spool: SQLiteMessageStore, keepingFile: Bool) async throws {
        let path = spool.path
        try await spool.close()
        if keepingFile {
            let aside = path + ".unreadable-\(now().microseconds)"
            try? FileManager.default.moveItem(atPath: path, toPath: aside)
            logger.error("the drained spool held messages that could not be read back; kept at \(aside)")
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let fresh = try await SQLiteMessageStore.open(path: path, logger: logger)
        state.withLock {
            $0.spool = fresh
            $0.health.spooled = 0
        }
        logger.info("spool drained into PostgreSQL")
    }

    /// The next queued appends and housekeeping (which waits while PostgreSQL is unreachable:
    /// it only changes PostgreSQL rows); nil once closed and drained. While degraded the writer
    /// also wakes every reconnect interval (at once while a reachable server has a spool to
    /// drain), so it retries and drains without new appends arriving.
    private func nextBatch() async -> ([Queue.Pending], LogHousekeeping)? {
        let health = state.withLock { $0.health }
        let wakeAfter: Duration? = !health.degraded ? nil : (health.reachable ? .zero : configuration.reconnectInterval)
        return await queue.next(maxRows: configuration.maxBatchRows, withHousekeeping: health.reachable, wakeAfter: wakeAfter)
    }
}
