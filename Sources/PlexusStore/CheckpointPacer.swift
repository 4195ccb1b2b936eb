/// When the log's writer asks for a background WAL checkpoint, from the number of frames
/// (pages) SQLite reports in the WAL after each commit.
///
/// Why frames and not the bytes of the rows: a commit writes every B-tree page it touched in
/// full. Under light load a commit carries a few messages and touches the same six or eight
/// pages (the table, its indexes, the subject index, the outbox) as a large one, so the WAL
/// grows by several pages per message, not by the ~700 bytes of its row. Paced by row bytes,
/// background checkpoints came far apart, the WAL reached the writer's own backstop first and
/// the writer copied thousands of pages into the database inside a commit — every message of
/// that batch waiting (about a tenth of a busy origin's writer time, at 10,000 msgs/s).
struct CheckpointPacer: Sendable {
    /// New frames since the last request that make the next one due.
    let everyFrames: Int
    /// Frames in the WAL when the last checkpoint was requested.
    private var floor = 0
    private var lastFrames = 0

    init(everyFrames: Int) {
        precondition(everyFrames > 0, "a checkpoint pace needs at least one frame")
        self.everyFrames = everyFrames
    }

    /// A commit left `frames` in the WAL: is a checkpoint due? Fewer frames than last time means
    /// the WAL restarted from its beginning (everything before was checkpointed).
    mutating func isDue(walFrames frames: Int) -> Bool {
        if frames < lastFrames { floor = 0 }
        lastFrames = frames
        return frames - floor >= everyFrames
    }

    /// A checkpoint was started with `frames` in the WAL.
    mutating func started(atWALFrames frames: Int) {
        floor = frames
    }
}
