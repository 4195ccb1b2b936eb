import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PlexusCore
import PlexusSessions
import SQLiteNIO

/// `plexus-bench sessions`: what a human-in-the-loop session costs (issue 9 sets no target; the
/// figures say what a node sustains and where the time goes).
///
/// 1. The raw limit: one SQLite row committed per statement at `synchronous=FULL` (what a
///    session's every change needs), and `SessionStore.insert` alone.
/// 2. A node end to end over HTTP: create an inbox session, answer it, until the result message
///    is in the log — sequential latency, then sessions per second with concurrent agents.
struct SessionBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Human-in-the-loop sessions: the SQLite commit limit, the store, and create→answer→result on a node.",
        discussion: "Build first: swift build -c release --product plexus-bench."
    )

    @Option(help: "Rows for the raw and store sections.")
    var rows = 2_000

    @Option(help: "Sequential sessions for the latency section.")
    var sessions = 300

    @Option(help: "Seconds of the concurrent section.")
    var seconds = 10

    @Option(help: "Concurrent agents in the throughput section.")
    var agents = 16

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        MachineInfo.printHeader("Plexus sessions benchmark")
        print("")
        let raw = try await Self.rawCommits(rows)
        print(String(format: "1. raw SQLite, one row per commit, synchronous=FULL: %8.0f commits/s", raw))
        let store = try await Self.storeInserts(rows)
        print(String(format: "   SessionStore.insert (the same, with the session document): %8.0f sessions/s (%.0f %% of raw)", store, 100 * store / raw))
        print("")

        try await BenchNode.with("sessions", mesh: false) { node in
            let base = node.base
            let latency = try await LatencyStats.measure(count: sessions, warmup: 20) { i in try await Self.roundTrip(base, i) }
            print(String(format: "2. create → answer → validated, one agent: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d sessions)",
                         latency.p50, latency.p99, latency.max, latency.count))
            let done = Locked(0)
            let watch = Stopwatch()
            let deadline = ContinuousClock.now + .seconds(seconds)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for agent in 0..<agents {
                    group.addTask {
                        var i = 0
                        while ContinuousClock.now < deadline {
                            try await Self.roundTrip(base, 1_000_000 * (agent + 1) + i)
                            done.withLock { $0 += 1 }
                            i += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rate = Double(done.withLock { $0 }) / watch.seconds
            print(String(format: "   %d concurrent agents: %.0f sessions/s answered and validated (each: 1 create, 1 answer; %.0f commits/s of the raw limit's %.0f)",
                         agents, rate, rate * 4, raw))
            // Results are published by the node's schedule after validation, in batches.
            let drain = Stopwatch()
            let total = done.withLock { $0 } + sessions + 20
            try await Self.awaitResults(base, count: total)
            print(String(format: "   every result message in the log %.2f s after the last answer (%d results)", drain.seconds, total))
        }
    }

    /// Create an inbox session, answer it, check it validated.
    static func roundTrip(_ base: String, _ i: Int) async throws {
        let created = try await post(base + "/v1/sessions", [
            "subject_id": .string("bench-agent-\(i % 64)"), "message_data": ["message": "Approve?", "n": .integer(Int64(i))],
            "message_data_template": ["policy_input_schema": ["approved": ["type": "boolean"]]],
        ])
        guard let id = created["session_id"]?.stringValue else { throw BenchError("session not created: \(created)") }
        let answered = try await post(base + "/v1/sessions/\(id)/reply", ["response_data": ["approved": true]])
        guard answered["status"] == "validated" else { throw BenchError("session \(id) not validated: \(answered)") }
    }

    /// Waits until the log holds `count` result messages (all agents' result topics).
    static func awaitResults(_ base: String, count: Int) async throws {
        for _ in 0..<600 {
            var seen = 0
            var cursor: String?
            repeat {
                let request = HTTPClientRequest(url: base + "/v1/messages?topic=%3E&limit=1000" + (cursor.map { "&cursor=" + $0 } ?? ""))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let page = (try? JSONParser.parse(Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))) ?? .null
                seen += page["messages"]?.arrayValue?.count ?? 0
                cursor = page["next_cursor"]?.stringValue
            } while cursor != nil
            if seen >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the result messages did not all reach the log")
    }

    static func post(_ url: String, _ body: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let reply = try await response.body.collect(upTo: 1 << 20)
        return (try? JSONParser.parse(Array(reply.readableBytesView))) ?? .null
    }

    /// One INSERT per commit into a WAL file at synchronous=FULL: the building block's ceiling.
    static func rawCommits(_ rows: Int) async throws -> Double {
        let directory = try TempDirectory("sessions-raw")
        defer { directory.remove() }
        let connection = try await SQLiteConnection.open(storage: .file(path: directory.path + "/raw.sqlite"), logger: Logger(label: "bench"))
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = FULL")
        _ = try await connection.query("CREATE TABLE t (id TEXT PRIMARY KEY, doc BLOB NOT NULL) WITHOUT ROWID")
        let doc = ByteBuffer(bytes: Array(repeating: UInt8(ascii: "x"), count: 900))
        let watch = Stopwatch()
        for i in 0..<rows {
            _ = try await connection.query("INSERT INTO t (id, doc) VALUES (?, ?)", [.text("s-\(i)"), .blob(doc)])
        }
        let rate = Double(rows) / watch.seconds
        try await connection.close()
        return rate
    }

    static func storeInserts(_ rows: Int) async throws -> Double {
        let directory = try TempDirectory("sessions-store")
        defer { directory.remove() }
        let store = try await SessionStore.open(path: directory.path + "/sessions.sqlite", logger: Logger(label: "bench"))
        let now = Timestamp(seconds: Date().timeIntervalSince1970)
        let draft = try SessionDraft(["subject_id": "agent", "message_data": ["message": "Approve?"],
                                      "message_data_template": ["policy_input_schema": ["approved": ["type": "boolean"]]]], now: now)
        let watch = Stopwatch()
        for i in 0..<rows {
            _ = try await store.insert(draft.session(id: "s-\(i)", now: now))
        }
        let rate = Double(rows) / watch.seconds
        await store.close()
        return rate
    }
}
