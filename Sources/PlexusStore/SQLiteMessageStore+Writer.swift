import Logging
import PlexusCore
import SQLiteNIO

/// The group-commit writer: the one task that writes to the log.
///
/// Only this task touches the writer connection and the seq counter, so neither needs a lock; the
/// queue between callers and this task is the `state` mutex.
extension SQLiteMessageStore {
    func runWriter(nextSeq start: Int64) async {
        var nextSeq = start
        var walBytesSinceCheckpoint = 0
        while let batch = await nextBatch() {
            let rows = batch.reduce(0) { $0 + $1.records.count }
            do {
                let committed = try await commit(batch, firstSeq: nextSeq)
                nextSeq = committed.nextSeq
                // Acknowledge-after-commit: callers resume only now that COMMIT has returned.
                for (append, result) in zip(batch, committed.outcomes) {
                    append.continuation.resume(returning: result)
                }
                walBytesSinceCheckpoint += committed.walBytes
                if walBytesSinceCheckpoint >= Self.checkpointAfterBytes, startBackgroundCheckpoint() {
                    walBytesSinceCheckpoint = 0
                }
            } catch {
                // Nothing of this batch is in the log, so the seqs it was given are free again,
                // and every caller learns its records were not logged. The counter is reloaded
                // from the file rather than trusted: should a failed COMMIT have reached the disk
                // after all, reusing its seqs would make every later batch fail on the primary key.
                _ = try? await writer.query("ROLLBACK")
                if let maxSeq = try? await SQLiteSchema.maxSeq(writer) {
                    nextSeq = maxSeq + 1
                }
                let failure = StoreError(sqlite: error, while: "committing \(rows) message(s) to \(path)")
                logger.error("group commit failed; appends in this batch were not logged", metadata: [
                    "plexus.store.path": .string(path),
                    "plexus.store.batch_rows": .stringConvertible(rows),
                    "plexus.store.error": .string(failure.description),
                ])
                for append in batch {
                    append.continuation.resume(throwing: failure)
                }
            }
        }
    }

    /// The next batch of queued appends, waiting while the queue is empty; nil once the store is
    /// closed and the queue drained.
    private func nextBatch() async -> [PendingAppend]? {
        while true {
            enum Step { case batch([PendingAppend]), finished, wait }
            let step: Step = state.withLock { state in
                if !state.pending.isEmpty { return .batch(state.takeBatch(maxRows: options.maxBatchRows)) }
                return state.closed ? .finished : .wait
            }
            switch step {
            case .batch(let batch):
                return batch
            case .finished:
                return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if !state.pending.isEmpty || state.closed { return true }
                        state.writerWakeup = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    private struct Committed {
        /// Per append call, per record.
        var outcomes: [[AppendOutcome]]
        var nextSeq: Int64
        /// Estimated bytes added to the WAL, for pacing checkpoints.
        var walBytes: Int
    }

    /// Writes one batch in one transaction.
    ///
    /// Five thread-pool hops per batch, whatever its size up to a few thousand rows: BEGIN, one
    /// SELECT of the uuids already logged, one multi-row INSERT into each table, COMMIT.
    private func commit(_ batch: [PendingAppend], firstSeq: Int64) async throws -> Committed {
        var candidates: [MessageID] = []
        var candidateSet: Set<MessageID> = []
        for append in batch {
            for record in append.records where candidateSet.insert(record.envelope.messageID).inserted {
                candidates.append(record.envelope.messageID)
            }
        }

        // IMMEDIATE takes the write lock now, so the uuid check below cannot be raced by another
        // writer (another process on the same file) before our INSERT.
        _ = try await writer.query("BEGIN IMMEDIATE")
        var seen = try await SQLiteMessageSQL.existingIDs(candidates, on: writer)

        var seq = firstSeq
        var newRows: [SQLiteMessageSQL.NewRow] = []
        newRows.reserveCapacity(candidates.count)
        var outcomes: [[AppendOutcome]] = []
        outcomes.reserveCapacity(batch.count)
        for append in batch {
            var result: [AppendOutcome] = []
            result.reserveCapacity(append.records.count)
            for record in append.records {
                // First occurrence wins, whether the earlier one is in the log, in an earlier call
                // of this batch, or earlier in the same call.
                if seen.insert(record.envelope.messageID).inserted {
                    result.append(.stored(seq: seq))
                    newRows.append(SQLiteMessageSQL.NewRow(seq: seq, record: record))
                    seq += 1
                } else {
                    result.append(.duplicate)
                }
            }
            outcomes.append(result)
        }

        if !newRows.isEmpty {
            try await SQLiteMessageSQL.insertMessages(newRows[...], on: writer)
            try await SQLiteMessageSQL.insertSubjects(newRows[...], on: writer)
        }
        _ = try await writer.query("COMMIT")
        let walBytes = newRows.reduce(0) { $0 + Self.estimatedWALBytes(of: $1) }
        return Committed(outcomes: outcomes, nextSeq: seq, walBytes: walBytes)
    }
}
