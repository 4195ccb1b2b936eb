import NIOCore
import NIOPosix

/// A message the server delivered for one of our subscriptions. `payload` is a slice of the read
/// buffer, so counting subscribers never copy it.
struct NATSMessage: Sendable {
    var subject: String
    var sid: Int
    var replyTo: String?
    var payload: ByteBuffer
}

/// What a nats-server sends a client (core protocol without headers: we never ask for them in
/// CONNECT, so the server never sends HMSG).
enum NATSServerOp: Sendable {
    case info(String)
    case msg(NATSMessage)
    case ping
    case pong
    case ok
    case err(String)
}

/// What the bench hands the connection: encoded protocol bytes, or a PING whose PONG completes
/// `promise` — the server answers PINGs in order after everything sent before them, which makes
/// a PING the protocol's own "flush" barrier.
enum NATSOutbound: Sendable {
    case bytes(ByteBuffer)
    case ping(EventLoopPromise<Void>)
}

/// Splits the server's byte stream into ops. A MSG whose payload has not fully arrived yet is
/// left in the buffer and parsed again from its control line once more bytes come, so payloads
/// split across reads (and several ops in one read) come out whole.
struct NATSOpDecoder: ByteToMessageDecoder {
    typealias InboundOut = NATSServerOp

    /// nats-server's own max_control_line is 4 KiB; INFO (which lists every cluster member's
    /// URL) may be longer, so the bound is generous. It only exists so a peer that never sends a
    /// line end cannot grow the buffer without limit.
    static let maxControlLine = 64 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let op = try Self.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(op))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let op = try Self.parse(&buffer) { context.fireChannelRead(wrapInboundOut(op)) }
        return .needMoreData
    }

    /// One op from the front of `buffer`, consuming it; nil (consuming nothing) if it is incomplete.
    static func parse(_ buffer: inout ByteBuffer) throws -> NATSServerOp? {
        // The control line is scanned in place, without an array of fields or a String per
        // field: at a few hundred thousand MSGs a second the subscriber's parsing is what makes
        // nats-server cut it off as a slow consumer.
        let scanned = try buffer.withUnsafeReadableBytes { try scan($0) }
        switch scanned {
        case .incomplete:
            return nil
        case .op(let op, let length):
            buffer.moveReaderIndex(forwardBy: length)
            return op
        case .msg(let subject, let sid, let replyTo, let size, let headerLength):
            guard buffer.readableBytes >= headerLength + size + 2 else { return nil }
            buffer.moveReaderIndex(forwardBy: headerLength)
            let payload = buffer.readSlice(length: size)!
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                throw BenchError("NATS: MSG payload on \(subject) not followed by CRLF (size \(size))")
            }
            return .msg(NATSMessage(subject: subject, sid: sid, replyTo: replyTo, payload: payload))
        }
    }

    private enum Scanned {
        case incomplete
        /// An op without payload and the length of its line.
        case op(NATSServerOp, Int)
        /// A MSG control line; its payload may not have arrived yet.
        case msg(subject: String, sid: Int, replyTo: String?, size: Int, headerLength: Int)
    }

    private static func scan(_ bytes: UnsafeRawBufferPointer) throws -> Scanned {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            if bytes.count > maxControlLine { throw BenchError("NATS: no line end within \(maxControlLine) bytes") }
            return .incomplete
        }
        let lineEnd = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
        var fields = Fields()
        var index = 0
        while index < lineEnd, fields.count < Fields.capacity {
            while index < lineEnd, isBlank(bytes[index]) { index += 1 }
            guard index < lineEnd else { break }
            let start = index
            while index < lineEnd, !isBlank(bytes[index]) { index += 1 }
            fields.append(start..<index)
        }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        func line() -> String { text(0..<min(lineEnd, 120)) }
        guard fields.count > 0 else { throw BenchError("NATS: empty line from server") }
        let name = fields[0]
        // The rest of the line after the op name, verbatim (INFO's JSON, -ERR's quoted text).
        let rest = fields.count > 1 ? fields[1].lowerBound..<lineEnd : lineEnd..<lineEnd

        // Op names are case-insensitive in the protocol; the server happens to send upper case.
        if matches(bytes, name, "MSG") {
            guard fields.count == 4 || fields.count == 5, let sid = number(bytes, fields[2]), let size = number(bytes, fields[fields.count - 1]) else {
                throw BenchError("NATS: malformed MSG line \"\(line())\"")
            }
            return .msg(subject: text(fields[1]), sid: sid, replyTo: fields.count == 5 ? text(fields[3]) : nil, size: size, headerLength: newline + 1)
        }
        let op: NATSServerOp
        if matches(bytes, name, "PING") {
            op = .ping
        } else if matches(bytes, name, "PONG") {
            op = .pong
        } else if matches(bytes, name, "+OK") {
            op = .ok
        } else if matches(bytes, name, "-ERR") {
            op = .err(text(rest))
        } else if matches(bytes, name, "INFO") {
            op = .info(text(rest))
        } else {
            throw BenchError("NATS: unknown op in \"\(line())\"")
        }
        return .op(op, newline + 1)
    }

    /// Up to five blank-separated fields of a control line (MSG has at most five), kept inline.
    private struct Fields {
        static let capacity = 5
        private var ranges: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
        private(set) var count = 0

        mutating func append(_ range: Range<Int>) {
            switch count {
            case 0: ranges.0 = range
            case 1: ranges.1 = range
            case 2: ranges.2 = range
            case 3: ranges.3 = range
            default: ranges.4 = range
            }
            count += 1
        }

        subscript(index: Int) -> Range<Int> {
            switch index {
            case 0: ranges.0
            case 1: ranges.1
            case 2: ranges.2
            case 3: ranges.3
            default: ranges.4
            }
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func matches(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ upper: StaticString) -> Bool {
        guard range.count == upper.utf8CodeUnitCount else { return false }
        let expected = upper.utf8Start
        for offset in 0..<range.count {
            let byte = bytes[range.lowerBound + offset]
            // Clearing bit 5 upper-cases ASCII letters and leaves "+" and "-" alone.
            if (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte & 0xDF : byte) != expected[offset] { return false }
        }
        return true
    }

    private static func number(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// Answers the server's PINGs, completes flush barriers on PONG, and hands messages to the
/// subscriber's callback — on the connection's event loop, so a counting callback costs no hop.
final class NATSClientHandler: ChannelDuplexHandler {
    typealias InboundIn = NATSServerOp
    typealias OutboundIn = NATSOutbound
    typealias OutboundOut = ByteBuffer

    private let info: EventLoopPromise<String>
    private var pongWaiters = CircularBuffer<EventLoopPromise<Void>>()
    private let onMessage: @Sendable (NATSMessage) -> Void

    init(info: EventLoopPromise<String>, onMessage: @escaping @Sendable (NATSMessage) -> Void) {
        self.info = info
        self.onMessage = onMessage
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .msg(let message):
            onMessage(message)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "PONG\r\n")), promise: nil)
        case .pong:
            pongWaiters.popFirst()?.succeed()
        case .info(let json):
            // Later INFOs (cluster membership changes) are ignored; NIO ignores the second succeed.
            info.succeed(json)
        case .ok:
            break
        case .err(let text):
            // Every -ERR means the bench misused the protocol or the server refused it: make the
            // caller waiting on CONNECT or on a flush see it instead of a bare "connection closed".
            failAll(BenchError("nats-server sent -ERR \(text)"))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .bytes(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .ping(let waiter):
            pongWaiters.append(waiter)
            context.write(wrapOutboundOut(ByteBuffer(string: "PING\r\n")), promise: promise)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(BenchError("NATS connection to \(context.remoteAddress.map { "\($0)" } ?? "server") closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        info.fail(error)
        while let waiter = pongWaiters.popFirst() { waiter.fail(error) }
    }
}

/// A minimal NATS client for the cluster benchmark: plain TCP, no TLS, no auth, no reconnects.
/// Writes go straight to the channel; callers batch many PUBs into one buffer themselves when
/// they want throughput.
final class NATSBenchClient: Sendable {
    let channel: any Channel
    /// The server's INFO JSON, as received when the connection opened.
    let serverInfo: String

    var eventLoop: any EventLoop { channel.eventLoop }

    private init(channel: any Channel, serverInfo: String) {
        self.channel = channel
        self.serverInfo = serverInfo
    }

    /// Connects on `eventLoop`, waits for INFO, sends CONNECT and completes one PING/PONG, so the
    /// server has accepted the connection when this returns. `onMessage` runs on `eventLoop`.
    static func connect(
        port: Int, name: String, on eventLoop: any EventLoop, timeout: TimeAmount = .seconds(5),
        onMessage: @escaping @Sendable (NATSMessage) -> Void = { _ in }
    ) async throws -> NATSBenchClient {
        let info = eventLoop.makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSOpDecoder()))
                    try channel.pipeline.syncOperations.addHandler(NATSClientHandler(info: info, onMessage: onMessage))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // A server that accepts but never speaks must not hang the bench: closing the channel
        // fails every promise the handler holds.
        let deadline = eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        do {
            let serverInfo = try await info.futureResult.get()
            let client = NATSBenchClient(channel: channel, serverInfo: serverInfo)
            let connect = #"{"verbose":false,"pedantic":false,"lang":"swift","version":"bench","name":"\#(name)","protocol":1}"#
            client.write(ByteBuffer(string: "CONNECT \(connect)\r\n"))
            try await client.flush()
            deadline.cancel()
            return client
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }

    /// Subscribes and waits until this server has registered it (not until other cluster
    /// members know: route interest travels separately).
    func subscribe(_ subject: String, sid: Int) async throws {
        write(ByteBuffer(string: "SUB \(subject) \(sid)\r\n"))
        try await flush()
    }

    /// Writes and flushes `bytes` (e.g. many encoded PUBs); the future completes once the bytes
    /// are in the kernel's socket buffer, which is the publisher's back-pressure.
    @discardableResult
    func write(_ bytes: ByteBuffer) -> EventLoopFuture<Void> {
        channel.writeAndFlush(NATSOutbound.bytes(bytes))
    }

    /// Round trip through the server: everything written before has been processed by it.
    func flush() async throws {
        let pong = channel.eventLoop.makePromise(of: Void.self)
        // The handler never sees a write to a closed channel; fail the waiter here instead
        // (if the handler already failed it, NIO ignores the second completion).
        channel.writeAndFlush(NATSOutbound.ping(pong)).whenFailure { pong.fail($0) }
        try await pong.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }

    /// Appends `PUB subject [reply] size\r\npayload\r\n` to `buffer`.
    static func encodePublish(subject: String, reply: String? = nil, payload: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeString("PUB \(subject) \(reply.map { $0 + " " } ?? "")\(payload.count)\r\n")
        buffer.writeBytes(payload)
        buffer.writeStaticString("\r\n")
    }
}
