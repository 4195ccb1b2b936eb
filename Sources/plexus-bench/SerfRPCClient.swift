import NIOCore
import NIOPosix

/// One persistent connection to a Serf agent's RPC port, asking it `members` — the exact call
/// `serf members` makes, without a process spawn per poll. (`serf members` costs ~9 ms of CPU
/// per call here; polling 21 agents every 25 ms that way would need ~7 cores and starve the
/// agents being measured, while Plexus nodes are polled over keep-alive HTTP.)
///
/// Protocol (Serf's agent IPC): MessagePack values back to back on TCP. A request is a header
/// `{Command, Seq}` then an optional body; a response is a header `{Seq, Error}` then a body for
/// commands that have one. `handshake {Version: 1}` must come first.
///
/// Requests are queued to one task that owns the channel (`executeThenClose`), so callers on any
/// task can share a connection and responses are matched to requests by order.
final class SerfRPCClient: Sendable {
    private struct Request: Sendable {
        var command: String
        var body: MsgPack?
        var hasResponseBody: Bool
        var reply: CheckedContinuation<MsgPack?, any Error>
    }

    private let requests: AsyncStream<Request>.Continuation
    private let task: Task<Void, Never>

    /// Connects and completes the handshake; throws if the agent is not listening yet.
    static func connect(port: Int) async throws -> SerfRPCClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let client = SerfRPCClient(channel: channel)
        _ = try await client.call("handshake", body: .map(["Version": .int(1)]), hasResponseBody: false)
        return client
    }

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        let (stream, requests) = AsyncStream.makeStream(of: Request.self)
        self.requests = requests
        task = Task {
            var failure: any Error = BenchError("Serf RPC connection closed")
            do {
                try await channel.executeThenClose { inbound, outbound in
                    var iterator = inbound.makeAsyncIterator()
                    var pending: [UInt8] = []
                    var seq: UInt64 = 0
                    // Reads one whole MessagePack value, reading more from the socket as needed.
                    func nextValue() async throws -> MsgPack {
                        while true {
                            if let (value, count) = try MsgPack.decode(pending[...]) {
                                pending.removeFirst(count)
                                return value
                            }
                            guard let buffer = try await iterator.next() else { throw BenchError("Serf agent closed the RPC connection") }
                            pending.append(contentsOf: buffer.readableBytesView)
                        }
                    }
                    for await request in stream {
                        do {
                            var bytes = MsgPack.map(["Command": .string(request.command), "Seq": .uint(seq)]).encoded()
                            if let body = request.body { bytes += body.encoded() }
                            seq += 1
                            try await outbound.write(ByteBuffer(bytes: bytes))
                            let header = try await nextValue()
                            if let error = header["Error"]?.string, !error.isEmpty {
                                throw BenchError("Serf RPC \(request.command): \(error)")
                            }
                            request.reply.resume(returning: request.hasResponseBody ? try await nextValue() : nil)
                        } catch {
                            request.reply.resume(throwing: error)
                            throw error
                        }
                    }
                }
            } catch {
                failure = error
            }
            // Whatever is still queued fails rather than waiting forever.
            requests.finish()
            for await request in stream { request.reply.resume(throwing: failure) }
        }
    }

    private func call(_ command: String, body: MsgPack?, hasResponseBody: Bool) async throws -> MsgPack? {
        try await withCheckedThrowingContinuation { reply in
            let request = Request(command: command, body: body, hasResponseBody: hasResponseBody, reply: reply)
            if case .terminated = requests.yield(request) {
                reply.resume(throwing: BenchError("Serf RPC connection is closed"))
            }
        }
    }

    /// Every member the agent knows, itself included: name → Serf status
    /// (`alive`, `leaving`, `left`, `failed`).
    func members() async throws -> [String: String] {
        guard let body = try await call("members", body: nil, hasResponseBody: true), let list = body["Members"]?.array else {
            throw BenchError("Serf RPC members: no Members in the response")
        }
        var result: [String: String] = [:]
        for member in list {
            if let name = member["Name"]?.string, let status = member["Status"]?.string { result[name] = status }
        }
        return result
    }

    /// Ends the connection; queued and later calls fail.
    func close() {
        requests.finish()
        task.cancel()
    }
}
