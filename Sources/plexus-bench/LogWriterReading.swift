import Foundation
import PlexusCore

/// A node's `store.writer` totals from `GET /healthz`; two readings a window apart give its
/// group commits over the window.
struct LogWriterReading: Sendable {
    var commits = 0
    var rows = 0
    var walFrames = 0
    var wallMicroseconds = 0
    var cpuMicroseconds = 0

    init(_ json: JSONValue) {
        commits = Int(json["commits"]?.integerValue ?? 0)
        rows = Int(json["rows"]?.integerValue ?? 0)
        walFrames = Int(json["wal_frames"]?.integerValue ?? 0)
        wallMicroseconds = Int(json["commit_wall_us"]?.integerValue ?? 0)
        cpuMicroseconds = Int(json["commit_cpu_us"]?.integerValue ?? 0)
    }

    init() {}

    func since(_ earlier: LogWriterReading) -> LogWriterReading {
        var delta = LogWriterReading()
        delta.commits = commits - earlier.commits
        delta.rows = rows - earlier.rows
        delta.walFrames = walFrames - earlier.walFrames
        delta.wallMicroseconds = wallMicroseconds - earlier.wallMicroseconds
        delta.cpuMicroseconds = cpuMicroseconds - earlier.cpuMicroseconds
        return delta
    }

    /// "214 commits/s, 47 rows and 34 WAL pages each, 2.48 ms per commit (0.75 ms on the CPU),
    /// writer committing 53 % of the time" for a window of `seconds`.
    func summary(seconds: Double) -> String {
        guard commits > 0 else { return "no commits" }
        let n = Double(commits)
        let perSecond = n / max(seconds, 1e-9)
        let wall = Double(wallMicroseconds) / n / 1_000, cpu = Double(cpuMicroseconds) / n / 1_000
        let busy = Double(wallMicroseconds) / 1e6 / max(seconds, 1e-9) * 100
        return String(format: "%.0f commits/s, %.1f rows and %.1f WAL pages each, %.2f ms per commit (%.2f ms on the CPU), committing %.0f %% of the time",
                      perSecond, Double(rows) / n, Double(walFrames) / n, wall, cpu, busy)
    }
}
