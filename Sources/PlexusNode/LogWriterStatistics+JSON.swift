import PlexusCore
import PlexusStore

extension LogWriterStatistics {
    /// The `store.writer` object of `GET /healthz` (docs/operations.md): running totals, so a
    /// reader divides the differences of two readings (rows per commit, time per commit).
    var json: JSONValue {
        [
            "commits": .integer(Int64(commits)),
            "rows": .integer(Int64(rows)),
            "wal_frames": .integer(Int64(walFrames)),
            "commit_wall_us": .integer(Int64(commitWallMicroseconds)),
            "commit_cpu_us": .integer(Int64(commitCPUMicroseconds)),
            "failed_commits": .integer(Int64(failedCommits)),
        ]
    }
}
