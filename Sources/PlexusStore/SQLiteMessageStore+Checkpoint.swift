import Logging
import PlexusCore
import SQLiteNIO

/// Background WAL checkpoints.
///
/// In WAL mode every commit appends pages to the `-wal` file; a checkpoint copies them back into
/// the database file and fsyncs it. SQLite by default does that inside the COMMIT that pushes the
/// WAL past 1000 pages, so one group commit in every few pays for copying megabytes, and every
/// caller in that batch waits for it. Here the writer instead asks a separate connection to run
/// a PASSIVE checkpoint, which takes no write lock: the copy runs beside the next batches, on
/// another thread-pool thread. The writer keeps a backstop at a higher threshold — a PASSIVE
/// checkpoint of its own after the commit that reaches it (`SQLiteBatchWriter.checkpointIfFull`;
/// its WAL hook replaces SQLite's auto-checkpoint) — so the WAL stays bounded even if this task
/// falls behind. The writer's copy at the backstop is then small: it finds most frames copied
/// already.
extension SQLiteMessageStore {
    /// How many new WAL frames make the writer ask for a checkpoint: SQLite's own default of
    /// 1000 pages, counted from the WAL itself (`CheckpointPacer` says why).
    static let checkpointAfterFrames = 1_000

    /// Starts a checkpoint on the checkpoint connection unless one is already running.
    /// Returns whether one was started.
    func startBackgroundCheckpoint() -> Bool {
        guard let checkpointer else { return false }
        return state.withLock { state in
            guard state.checkpointTask == nil, !state.closed else { return false }
            state.checkpointTask = Task { await self.runCheckpoint(on: checkpointer) }
            return true
        }
    }

    private func runCheckpoint(on connection: SQLiteConnection) async {
        do {
            // PASSIVE copies what it can without waiting for readers or the writer, so it never
            // blocks a commit; frames it cannot copy yet are taken by the next one.
            _ = try await connection.query("PRAGMA wal_checkpoint(PASSIVE)")
        } catch {
            logger.warning("background WAL checkpoint failed; the writer's own checkpoints take over", metadata: [
                "plexus.store.path": .string(path),
                "plexus.store.error": .string(StoreError(sqlite: error, while: "checkpointing").description),
            ])
        }
        state.withLock { $0.checkpointTask = nil }
    }
}
