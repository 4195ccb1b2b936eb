import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The raw limit under the 3-hop latency figure: the same path with nothing of Plexus on it.
///
/// A publisher, three hops and a sink in this process, a thread each, joined by TCP loopback
/// connections. Each hop reads what has arrived, appends the whole records to a file of its own,
/// fdatasyncs it, and only then passes them on: a durable append before each hand-over,
/// group-committed as the log's are (whatever arrived during one fsync goes into the next). No
/// TLS, no parsing, no routing, no index, no thread hand-offs inside a hop. The publisher is paced
/// like the latency section's (every message due by each tick), with records of the same size,
/// at the same rate, on the same disk, so the two p99s compare: this one is what the disk and the
/// scheduler of this machine allow three durable hops, the distance to Plexus's is what Plexus
/// adds.
struct RoutingDurableChainBench: Sendable {
    var rate: Int
    var duration: Duration
    /// Bytes per record: the envelope's size on the wire in the latency section.
    var recordBytes: Int
    var hops = 3

    struct Result: Sendable {
        var rate: Int
        var hops: Int
        var sent: Int
        var received: Int
        var stats: LatencyStats?
        /// fdatasync calls over all hops: how far group commit shared them.
        var syncs: Int
        /// CPU of this process over the run, in cores (the chain's threads and an idle bench).
        var cores: Double
        var seconds: Double
    }

    /// What the threads leave behind, and how many are still running.
    private struct Outcome: Sendable {
        var running: Int
        var samples: [Double] = []
        var syncs = 0
    }

    func run() async throws -> Result {
        precondition(recordBytes >= 8 && hops >= 1 && rate > 0)
        let directory = try TempDirectory("durable-chain")
        defer { directory.remove() }
        // links[i] carries records into hop i; links[hops] from the last hop to the sink.
        var links: [(send: Int32, receive: Int32)] = []
        defer { for link in links { close(link.send); close(link.receive) } }
        for _ in 0...hops { links.append(try Self.loopbackPair()) }
        var journals: [Int32] = []
        defer { for fd in journals { close(fd) } }
        for hop in 0..<hops {
            let fd = open(directory.file("journal-\(hop)"), O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard fd >= 0 else { throw BenchError("durable chain: cannot create its journal: errno \(errno)") }
            journals.append(fd)
        }
        let total = rate * Int(duration.components.seconds)
        let cpu = CPUUsage.now().selfSeconds
        let watch = Stopwatch()
        // Ends when the sink and every hop have: a hop counts its fsyncs until its input ends.
        let outcome = Locked(Outcome(running: hops + 1))
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let ended: @Sendable ((inout Outcome) -> Void) -> Void = { update in
                let last = outcome.withLock { outcome in
                    update(&outcome)
                    outcome.running -= 1
                    return outcome.running == 0
                }
                if last { finished.resume() }
            }
            for hop in 0..<hops {
                let (input, output, journal, size) = (links[hop].receive, links[hop + 1].send, journals[hop], recordBytes)
                Thread.detachNewThread {
                    let syncs = Self.relay(from: input, to: output, journal: journal, recordBytes: size)
                    // Ends the next thread's reads, and (should this hop have failed) the writes
                    // into it; the fds are closed once every thread has ended.
                    shutdown(output, Int32(SHUT_WR))
                    shutdown(input, Int32(SHUT_RDWR))
                    ended { $0.syncs += syncs }
                }
            }
            let (sinkInput, size) = (links[hops].receive, recordBytes)
            Thread.detachNewThread {
                let samples = Self.sink(from: sinkInput, recordBytes: size, expected: total)
                ended { $0.samples = samples }
            }
            let (publisherOutput, rate) = (links[0].send, rate)
            Thread.detachNewThread {
                Self.publish(to: publisherOutput, rate: rate, total: total, recordBytes: size)
                shutdown(publisherOutput, Int32(SHUT_WR))
            }
        }
        let (samples, syncs) = outcome.withLock { ($0.samples, $0.syncs) }
        let seconds = watch.seconds
        return Result(
            rate: rate, hops: hops, sent: total, received: samples.count, stats: samples.isEmpty ? nil : LatencyStats(milliseconds: samples),
            syncs: syncs, cores: (CPUUsage.now().selfSeconds - cpu) / max(seconds, 1e-9), seconds: seconds)
    }

    /// A connected TCP pair on 127.0.0.1, Nagle off both ways (as the peer links have it).
    static func loopbackPair() throws -> (send: Int32, receive: Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw BenchError("durable chain: socket: errno \(errno)") }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else { throw BenchError("durable chain: cannot listen on loopback: errno \(errno)") }
        let sender = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sender, $0, length) == 0 }
        }
        let receiver = connected ? accept(listener, nil, nil) : -1
        guard receiver >= 0 else {
            close(sender)
            throw BenchError("durable chain: cannot connect over loopback: errno \(errno)")
        }
        var on: Int32 = 1
        for fd in [sender, receiver] { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) }
        return (sender, receiver)
    }

    /// One hop: read, append the whole records, fdatasync, pass them on. Returns its fsyncs.
    private static func relay(from input: Int32, to output: Int32, journal: Int32, recordBytes: Int) -> Int {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var held = 0
        var syncs = 0
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress! + held, $0.count - held) }
            guard read > 0 else { return syncs }
            held += read
            let whole = held / recordBytes * recordBytes
            guard whole > 0 else { continue }
            guard writeAll(journal, buffer, count: whole), fdatasync(journal) == 0, writeAll(output, buffer, count: whole, socket: true) else {
                return syncs
            }
            syncs += 1
            buffer.withUnsafeMutableBytes { bytes in
                _ = memmove(bytes.baseAddress!, bytes.baseAddress! + whole, held - whole)
            }
            held -= whole
        }
    }

    /// Reads records until the stream ends or `expected` arrived; each one's latency in ms.
    private static func sink(from input: Int32, recordBytes: Int, expected: Int) -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(expected)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var held = 0
        while samples.count < expected {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress! + held, $0.count - held) }
            guard read > 0 else { break }
            held += read
            let now = monotonicNanoseconds()
            var offset = 0
            buffer.withUnsafeMutableBytes { bytes in
                while offset + recordBytes <= held {
                    let stamp = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    samples.append(Double(now &- stamp) / 1e6)
                    offset += recordBytes
                }
                _ = memmove(bytes.baseAddress!, bytes.baseAddress! + offset, held - offset)
            }
            held -= offset
        }
        return samples
    }

    /// Every record due by each tick, stamped just before it is written; a tick every 1/rate, at
    /// least 100 µs, as `RoutingPacedPublisher` ticks.
    private static func publish(to output: Int32, rate: Int, total: Int, recordBytes: Int) {
        var record = [UInt8](repeating: UInt8(ascii: "x"), count: recordBytes)
        let start = monotonicNanoseconds()
        let interval = max(100_000, 1_000_000_000 / UInt64(rate))
        var sent = 0
        var tick: UInt64 = 0
        while sent < total {
            let due = min(total, Int(Double(monotonicNanoseconds() - start) / 1e9 * Double(rate)))
            while sent < due {
                var stamp = monotonicNanoseconds()
                withUnsafeBytes(of: &stamp) { stamp in record.withUnsafeMutableBytes { $0.copyMemory(from: stamp) } }
                guard writeAll(output, record, count: recordBytes, socket: true) else { return }
                sent += 1
            }
            tick += interval
            var deadline = timespec(tv_sec: Int(((start + tick) / 1_000_000_000)), tv_nsec: Int((start + tick) % 1_000_000_000))
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil)
        }
    }

    /// Writes the first `count` bytes; to a socket with `send(MSG_NOSIGNAL)`, so a reader that
    /// went away is an error here rather than a SIGPIPE for the whole bench.
    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], count: Int, socket: Bool = false) -> Bool {
        buffer.withUnsafeBytes { bytes in
            var done = 0
            while done < count {
                let written = socket
                    ? send(fd, bytes.baseAddress! + done, count - done, Int32(MSG_NOSIGNAL))
                    : write(fd, bytes.baseAddress! + done, count - done)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                done += written
            }
            return true
        }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
