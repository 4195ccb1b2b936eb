import PlexusCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running totals of a log's group commits, for `GET /healthz` and the benchmarks.
///
/// Why: a hop's latency is mostly the commit its message waits for — the one in progress when
/// it arrives, then its own. How many rows a commit takes, how long it runs (wall clock) and how
/// much of that the writer spent on the CPU say whether a slow hop is the disk (wall ≫ CPU with
/// an idle machine), a starved writer (wall ≫ CPU on a busy one) or the rows themselves (wall ≈
/// CPU). Counters only grow; a reader takes two snapshots and divides the differences.
public struct LogWriterStatistics: Sendable, Hashable {
    /// Transactions committed.
    public var commits: Int = 0
    /// Records those commits wrote (duplicates included: they cost a lookup, not a row).
    public var rows: Int = 0
    /// WAL frames (pages) the commits appended: the bytes each commit writes and syncs.
    public var walFrames: Int = 0
    /// Wall-clock time from the start of each commit's first statement to its COMMIT returning.
    public var commitWallMicroseconds: Int = 0
    /// CPU time of the writer's thread within those commits.
    public var commitCPUMicroseconds: Int = 0
    /// Commits that failed (their appends were answered with the error).
    public var failedCommits: Int = 0

    public init() {}

    /// Adds one successful commit.
    mutating func record(rows: Int, walFrames: Int, wall: Duration, cpuMicroseconds: Int) {
        commits += 1
        self.rows += rows
        self.walFrames += walFrames
        commitWallMicroseconds += Int(wall.nanoseconds / 1_000)
        commitCPUMicroseconds += cpuMicroseconds
    }

    /// CPU time the calling thread has used, in microseconds; 0 where the clock is missing.
    static func threadCPUMicroseconds() -> Int {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return 0 }
        return Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1_000
    }
}

/// WAL frames appended by each commit, from the WAL's length after it (what SQLite's WAL hook
/// reports). The length falls back to the new commit's own frames when a checkpoint let the
/// writer restart the WAL from its beginning.
struct WALFrameCounter {
    private var last = 0

    mutating func appended(walLengthAfterCommit length: Int) -> Int {
        defer { last = length }
        return length >= last ? length - last : length
    }
}
