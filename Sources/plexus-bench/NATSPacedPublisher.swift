import NIOCore

/// The first 16 bytes of a latency payload: send time and sequence number, both big-endian
/// UInt64. Times are `NIODeadline.now().uptimeNanoseconds` (CLOCK_MONOTONIC), the clock NIO
/// schedules the pacing ticks with; sender and receiver are one process, so one clock.
enum NATSLatencyStamp {
    static let size = 16

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    static func read(_ payload: ByteBuffer) -> (sentAt: UInt64, sequence: UInt64)? {
        guard let sentAt = payload.getInteger(at: payload.readerIndex, as: UInt64.self),
              let sequence = payload.getInteger(at: payload.readerIndex + 8, as: UInt64.self)
        else { return nil }
        return (sentAt, sequence)
    }
}

/// Publishes at a fixed rate from the publisher connection's own event loop: each tick sends
/// every message that is due by then (so a late tick catches up and the average rate is exact)
/// and stamps each one just before encoding it. Running on the loop that owns the socket means
/// no thread hop sits between the stamp and the write, and no cooperative thread ever sleeps.
///
/// Confined to that event loop; only `run` is called from elsewhere.
final class NATSPacedPublisher {
    private let client: NATSBenchClient
    private let header: [UInt8]
    private let filler: [UInt8]
    private let rate: UInt64
    private let total: Int
    private let tickNanos: UInt64
    private let done: EventLoopPromise<Void>
    private let start: UInt64
    private var sent = 0

    /// Sends `count` messages of `payloadBytes` (≥ 16) on `subject` at `rate` per second, each
    /// starting with a `NATSLatencyStamp` whose sequence numbers run 0..<count; returns once the
    /// last is written.
    static func run(client: NATSBenchClient, subject: String, payloadBytes: Int, rate: Int, count: Int) async throws {
        precondition(payloadBytes >= NATSLatencyStamp.size && rate > 0 && count > 0)
        let done = client.eventLoop.makePromise(of: Void.self)
        client.eventLoop.execute {
            NATSPacedPublisher(client: client, subject: subject, payloadBytes: payloadBytes, rate: rate, total: count, done: done).tick()
        }
        try await done.futureResult.get()
    }

    private init(client: NATSBenchClient, subject: String, payloadBytes: Int, rate: Int, total: Int, done: EventLoopPromise<Void>) {
        self.client = client
        header = Array("PUB \(subject) \(payloadBytes)\r\n".utf8)
        filler = Array(repeating: UInt8(ascii: "x"), count: payloadBytes - NATSLatencyStamp.size)
        self.rate = UInt64(rate)
        self.total = total
        // One message per tick up to 10,000/s; above that, several per 100 µs tick, since
        // NIO timers much finer than that cost more CPU than the publishing.
        tickNanos = max(100_000, 1_000_000_000 / UInt64(rate))
        self.done = done
        start = NATSLatencyStamp.now()
    }

    private func tick() {
        guard client.channel.isActive else {
            done.fail(BenchError("NATS publisher connection closed after \(sent) of \(total) paced messages"))
            return
        }
        let now = NATSLatencyStamp.now()
        let elapsed = now - start
        let due = min(total, Int(elapsed * rate / 1_000_000_000) + 1)
        if due > sent {
            var buffer = client.channel.allocator.buffer(capacity: (due - sent) * (header.count + filler.count + 18))
            while sent < due {
                buffer.writeBytes(header)
                buffer.writeInteger(NATSLatencyStamp.now())
                buffer.writeInteger(UInt64(sent))
                buffer.writeBytes(filler)
                buffer.writeStaticString("\r\n")
                sent += 1
            }
            let done = self.done
            client.write(buffer).whenFailure { done.fail($0) }
        }
        if sent >= total {
            done.succeed()
            return
        }
        let nextTick = (elapsed / tickNanos + 1) * tickNanos
        client.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(start + nextTick)) { self.tick() }
    }
}
