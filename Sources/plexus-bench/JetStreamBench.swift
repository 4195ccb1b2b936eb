import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// JetStream as the reference for a durable hop: one nats-server with a file-stored stream, one
/// client publishing the Plexus run's wire-size messages, each acknowledged by the server once
/// stored, with at most `window` unacknowledged. The core-NATS reference (`NATSClusterBench`)
/// keeps nothing and acknowledges nothing; this is the nearest thing nats-server offers to a
/// Plexus hop (log, then ack), on the same machine in the same run.
///
/// What its ack means differs, and the report says so: nats-server acknowledges once the
/// message is written to its file store, which it fsyncs every 2 minutes by default (2.9 has
/// no setting for it; from 2.10 `sync_interval: always` fsyncs every write), where Plexus's
/// default (`synchronous: full`) fsyncs the group commit before it acks.
struct JetStreamBench: Sendable {
    struct Result: Sendable {
        var version: String
        var messages: Int
        var payloadBytes: Int
        var seconds: Double
        var errors: Int
        var firstError: String?
        /// CPU the server used for the run, in seconds.
        var serverCPUSeconds: Double?
        var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    }

    var binary: String
    var payloadBytes = 665
    var messages = 1_000_000
    /// Published and not yet acknowledged, at most (the JetStream clients' async-publish window
    /// works the same way).
    var window = 4_000
    var progress: @Sendable (String) -> Void = { _ in }

    static let subject = "bench.js"
    static let ackSubject = "bench.ack"
    static let ackSID = 1

    init(binary: String) {
        self.binary = binary
    }

    func run() async throws -> Result {
        guard messages > 0, window > 0, payloadBytes > 0 else { throw BenchError("JetStream bench: messages, window and payload must be > 0") }
        let version = try await NATSServerCluster.version(binary: binary)
        let directory = try TempDirectory("jetstream")
        defer { directory.remove() }
        let port = try FreePort.pick(udpToo: false, avoiding: [])
        let config = directory.file("js.conf")
        try """
            listen: "127.0.0.1:\(port)"
            jetstream { store_dir: "\(directory.file("store"))" }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try CollectedProcess(executable: binary, arguments: ["-c", config])
        MeshBenchReaper.register(server.pid)
        defer { server.terminate(signal: SIGKILL) }
        try await server.waitForOutput(containing: "Server is ready", timeout: .seconds(15))
        progress("\(version) with JetStream (file storage) on port \(port)")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tally = JetStreamAckTally()
        let client: NATSBenchClient
        do {
            client = try await NATSBenchClient.connect(port: port, name: "bench-js", on: group.next()) { tally.receive($0) }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        do {
            let result = try await measure(client: client, tally: tally, serverPID: server.pid, version: version)
            await client.close()
            try? await group.shutdownGracefully()
            return result
        } catch {
            await client.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func measure(client: NATSBenchClient, tally: JetStreamAckTally, serverPID: Int32, version: String) async throws -> Result {
        try await client.subscribe(Self.ackSubject, sid: Self.ackSID)
        // The stream, created over the JetStream API; its reply arrives on the ack subject as
        // the first message.
        let create = #"{"name":"BENCH","subjects":["\#(Self.subject)"],"storage":"file","retention":"limits","discard":"old"}"#
        var request = ByteBuffer()
        NATSBenchClient.encodePublish(subject: "$JS.API.STREAM.CREATE.BENCH", reply: Self.ackSubject, payload: Array(create.utf8), into: &request)
        client.write(request)
        try await client.flush()
        let created = try await tally.waitFor(1, timeout: .seconds(10))
        guard created.errors == 0 else { throw BenchError("creating the JetStream stream failed: \(created.firstError ?? "?")") }
        tally.reset()

        var one = ByteBuffer()
        NATSBenchClient.encodePublish(subject: Self.subject, reply: Self.ackSubject, payload: [UInt8](repeating: UInt8(ascii: "j"), count: payloadBytes), into: &one)
        let message = Array(one.readableBytesView)
        let batch = max(1, min(window / 4, 64 * 1024 / message.count))
        let cpuBefore = ProcStat.cpuSeconds(serverPID)
        let watch = Stopwatch()
        var published = 0
        while published < messages {
            let count = min(batch, messages - published)
            if published + count - tally.acked > window {
                _ = try await tally.waitFor(published + count - window, timeout: .seconds(30))
            }
            var buffer = client.channel.allocator.buffer(capacity: count * message.count)
            for _ in 0..<count { buffer.writeBytes(message) }
            try await client.write(buffer).get()
            published += count
        }
        let done = try await tally.waitFor(messages, timeout: .seconds(60))
        let seconds = watch.seconds
        let cpuAfter = ProcStat.cpuSeconds(serverPID)
        let cpu: Double? = if let cpuBefore, let cpuAfter { cpuAfter - cpuBefore } else { nil }
        return Result(version: version, messages: done.acked, payloadBytes: payloadBytes, seconds: seconds, errors: done.errors,
                      firstError: done.firstError, serverCPUSeconds: cpu)
    }
}

/// The server's replies on the ack subject: acks (`{"stream":…,"seq":…}`) and errors
/// (`{"error":…}`), counted on the client's event loop, waited for by the bench.
final class JetStreamAckTally: Sendable {
    struct State: Sendable {
        var acked = 0
        var errors = 0
        var firstError: String?
        var waiter: (count: Int, promise: EventLoopPromise<Void>)?
    }

    private let state = Mutex(State())

    var acked: Int { state.withLock { $0.acked } }

    func receive(_ message: NATSMessage) {
        let isError = message.payload.readableBytesView.firstRange(of: Array(#""error""#.utf8)) != nil
        let promise: EventLoopPromise<Void>? = state.withLock { s in
            s.acked += 1
            if isError {
                s.errors += 1
                if s.firstError == nil { s.firstError = String(buffer: message.payload) }
            }
            guard let w = s.waiter, s.acked >= w.count else { return nil }
            s.waiter = nil
            return w.promise
        }
        promise?.succeed()
    }

    func reset() { state.withLock { $0 = State() } }

    /// Until `count` replies have arrived (errors included); the state then.
    func waitFor(_ count: Int, timeout: Duration) async throws -> State {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Void.self)
        let ready: Bool = state.withLock { s in
            if s.acked >= count { return true }
            s.waiter = (count, promise)
            return false
        }
        if ready {
            promise.succeed()
        } else {
            let timer = loop.scheduleTask(in: .milliseconds(Int64(timeout.milliseconds))) {
                promise.fail(BenchError("only \(self.acked) of \(count) JetStream acks after \(timeout)"))
            }
            defer { timer.cancel() }
            try await promise.futureResult.get()
        }
        return state.withLock { s in
            var copy = s
            copy.waiter = nil
            return copy
        }
    }
}
