import Foundation
import Logging
import PlexusCore
import PlexusStore

#if canImport(Glibc)
import Glibc
#endif

/// What a hop's durable append costs in the SQLite log against the simplest durable log there
/// is — records appended to one file and fdatasync'd per group — at the group sizes a node sees:
/// about 20 records per commit at 10,000 msgs/s (the latency figures' commits) and 800 under full
/// load. One appender, groups one after another, the same prepared records for both, so the
/// figures are the storage's own msgs/s and CPU per message. The journal is not a log Plexus
/// has: it is the lower bound a redesigned log could approach (docs/benchmarks.md).
struct RoutingJournalBench: Sendable {
    var message: RoutingMessage
    var records = 40_000
    var groups = [20, 800]

    struct Result: Sendable {
        var name: String
        var group: Int
        var messages: Int
        var seconds: Double
        var cpuSeconds: Double
        var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
        var cpuMicrosecondsPerMessage: Double { messages > 0 ? cpuSeconds / Double(messages) * 1e6 : 0 }
    }

    func run() async throws -> [Result] {
        let prepared = try prepare()
        var results: [Result] = []
        for group in groups {
            results.append(try await sqlite(prepared, group: group))
            results.append(try journal(prepared, group: group))
        }
        return results
    }

    /// A hop's rows (log, subjects, outbox) in one append per group, as the relay writes them.
    private func sqlite(_ prepared: [LogRecord], group: Int) async throws -> Result {
        let directory = try TempDirectory("journal-sqlite")
        defer { directory.remove() }
        var quiet = Logger(label: "plexus.bench.journal")
        quiet.logLevel = .warning
        let store = try await SQLiteMessageStore.open(path: directory.file("log.sqlite"), logger: quiet)
        let cpu = CPUUsage.now().selfSeconds
        let watch = Stopwatch()
        for start in stride(from: 0, to: prepared.count, by: group) {
            _ = try await store.append(Array(prepared[start..<min(start + group, prepared.count)]))
        }
        let result = Result(name: "SQLite log", group: group, messages: prepared.count, seconds: watch.seconds,
                            cpuSeconds: CPUUsage.now().selfSeconds - cpu)
        try await store.close()
        return result
    }

    /// Each record as length, checksum and its wire JSON, a group per write(2) and fdatasync.
    private func journal(_ prepared: [LogRecord], group: Int) throws -> Result {
        let directory = try TempDirectory("journal-file")
        defer { directory.remove() }
        let fd = open(directory.file("segment-000001"), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create the journal file: errno \(errno)") }
        defer { close(fd) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(group * 1_024)
        let cpu = CPUUsage.now().selfSeconds
        let watch = Stopwatch()
        for start in stride(from: 0, to: prepared.count, by: group) {
            buffer.removeAll(keepingCapacity: true)
            for record in prepared[start..<min(start + group, prepared.count)] {
                Self.frame(record.json, into: &buffer)
            }
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == buffer.count else { throw BenchError("journal write: \(written) of \(buffer.count) bytes, errno \(errno)") }
            guard fdatasync(fd) == 0 else { throw BenchError("journal fdatasync: errno \(errno)") }
        }
        return Result(name: "append-only journal", group: group, messages: prepared.count, seconds: watch.seconds,
                      cpuSeconds: CPUUsage.now().selfSeconds - cpu)
    }

    /// Length (4 bytes), FNV-1a 64 of the body (8 bytes: a torn write must be detectable), body.
    static func frame(_ body: [UInt8], into buffer: inout [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: hash.littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: body)
    }

    /// Distinct relay records of the benchmark's message, made before any timing.
    private func prepare() throws -> [LogRecord] {
        var rng = SplitMix64(seed: 7)
        let template = try message.sampleEnvelope()
        return (0..<records).map { _ in RoutingMessage.relayRecord(of: template, rng: &rng) }
    }
}
