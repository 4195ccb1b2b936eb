import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import PlexusCore
import Synchronization

/// A real WebSocket client for tests: connects, optionally sends frames, and records every text
/// frame it receives until the server closes or `stop()` is called.
final class WSTestClient: Sendable {
    let received: AsyncStream<String>
    private let receivedContinuation: AsyncStream<String>.Continuation
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<WebSocketCloseFrame?, any Error>

    init(url: String, sending frames: [String] = []) {
        let (received, receivedContinuation) = AsyncStream.makeStream(of: String.self)
        let (outgoingStream, outgoing) = AsyncStream.makeStream(of: String.self)
        self.received = received
        self.receivedContinuation = receivedContinuation
        self.outgoing = outgoing
        for frame in frames { outgoing.yield(frame) }
        var logger = Logger(label: "ws-test")
        logger.logLevel = .critical
        task = Task {
            defer { receivedContinuation.finish() }
            return try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 8 << 20), logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in outgoingStream {
                            try await outbound.write(.text(frame))
                        }
                        // Keep the connection open until the reader is done.
                        try await Task.sleep(for: .seconds(3_600))
                    }
                    for try await message in inbound.messages(maxSize: 8 << 20) {
                        if case .text(let text) = message { receivedContinuation.yield(text) }
                    }
                    group.cancelAll()
                }
            }
        }
    }

    func send(_ frame: String) { outgoing.yield(frame) }

    /// Waits for the next `count` frames (throws if the connection ends first). After `seconds`
    /// the stream is ended, so a frame that never comes fails the test instead of hanging it.
    func next(_ count: Int = 1, within seconds: Int = 30) async throws -> [String] {
        let watchdog = Task { [receivedContinuation] in
            try await Task.sleep(for: .seconds(seconds))
            receivedContinuation.finish()
        }
        defer { watchdog.cancel() }
        var frames: [String] = []
        for await frame in received {
            frames.append(frame)
            if frames.count == count { return frames }
        }
        throw TestFailure("connection ended after \(frames.count) of \(count) frames")
    }

    /// The close frame the server sent, after the connection ended. Gives up after 30 s (a
    /// client stuck in its close handshake must fail the test, not hang the suite).
    func closeFrame() async throws -> WebSocketCloseFrame? {
        let task = self.task
        return try await withThrowingTaskGroup(of: WebSocketCloseFrame?.self) { group in
            group.addTask { try await task.value }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                task.cancel()
                throw TestFailure("the WebSocket connection did not end within 30 s")
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func stop() {
        outgoing.finish()
        task.cancel()
    }
}
