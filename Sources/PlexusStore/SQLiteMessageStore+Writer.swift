import Logging
import PlexusCore
import SQLiteNIO

/// The group-commit writer: the one task that writes to the log, on a thread of its own
/// (`SQLiteWriterThread`).
///
/// Only this task touches the writer connection and the seq counter, so neither needs a lock; the
/// queue between callers and this task is the `state` mutex.
extension SQLiteMessageStore {
    func runWriter(nextSeq start: Int64) async {
        var nextSeq = start
        var pacer = CheckpointPacer(everyFrames: Self.checkpointAfterFrames)
        var walFrames = WALFrameCounter()
        while let (batch, housekeeping) = await queue.next(maxRows: options.maxBatchRows) {
            // A wake-up that found nothing due (a lazy release's timer after a commit took it).
            if batch.isEmpty, housekeeping.isEmpty { continue }
            let rows = batch.reduce(0) { $0 + $1.records.count }
            let started = ContinuousClock.now
            let startedCPU = LogWriterStatistics.threadCPUMicroseconds()
            do {
                // On the writer's own thread (`SQLiteWriterThread`): blocking it is the point.
                let committed = try batchWriter.commitHere(batch.map(\.records), firstSeq: nextSeq, housekeeping: housekeeping)
                nextSeq = committed.nextSeq
                let wall = ContinuousClock.now - started
                let cpu = LogWriterStatistics.threadCPUMicroseconds() - startedCPU
                let frames = walFrames.appended(walLengthAfterCommit: committed.walFrames)
                statistics.withLock { $0.record(rows: rows, walFrames: frames, wall: wall, cpuMicroseconds: cpu) }
                // Acknowledge-after-commit: callers resume only now that COMMIT has returned.
                for (append, result) in zip(batch, committed.outcomes) { append.succeed(result) }
                if pacer.isDue(walFrames: committed.walFrames), startBackgroundCheckpoint() {
                    pacer.started(atWALFrames: committed.walFrames)
                }
            } catch {
                // Nothing of this batch is in the log, so the seqs it was given are free again,
                // and every caller learns its records were not logged. The counter is reloaded
                // from the file rather than trusted: should a failed COMMIT have reached the disk
                // after all, reusing its seqs would make every later batch fail on the primary key.
                if let maxSeq = try? await SQLiteSchema.maxSeq(writer) {
                    nextSeq = maxSeq + 1
                }
                let failure = StoreError(sqlite: error, while: "committing \(rows) message(s) to \(path)")
                logger.error("group commit failed; appends in this batch were not logged", metadata: [
                    "plexus.store.path": .string(path),
                    "plexus.store.batch_rows": .stringConvertible(rows),
                    "plexus.store.error": .string(failure.description),
                ])
                statistics.withLock { $0.failedCommits += 1 }
                for append in batch { append.fail(failure) }
                // Releases, dead letters and inbox acks are retried with the next batch.
                queue.putBack(housekeeping)
            }
        }
    }
}
