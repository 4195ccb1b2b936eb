import HummingbirdWSClient
import PlexusCore

/// The node's WebSocket feeds: `WS /v1/stream` here, and the frame reader every feed shares.
extension PlexusClient {
    /// Live messages as the node logs them, each frame parsed, until the caller stops iterating
    /// (which closes the WebSocket) or the connection ends.
    ///
    /// It does not reconnect: a gap in a live stream is not recoverable by reconnecting, so a
    /// caller that must not miss messages resumes from the log with `messagePage(since:)`.
    /// Frames are buffered without bound while the caller is busy; the node closes a client whose
    /// socket backs up, so keep the loop body quick.
    ///
    /// - Parameters:
    ///   - topic: a topic pattern with NATS wildcards (`agents.>`); nil for every topic.
    ///   - subject: only messages from or to this subject.
    /// - Returns: a stream that throws `PlexusClientError`: `http` for a filter the node refused,
    ///   `webSocketClosed` when it cut the stream (1008 for a reader too slow), `transport`.
    public func tail(topic: String? = nil, subject: String? = nil) -> AsyncThrowingStream<JSONValue, any Error> {
        var query: [(String, String)] = []
        if let topic { query.append(("topic", topic)) }
        if let subject { query.append(("subject", subject)) }
        return webSocketFrames("/v1/stream", query: query)
    }

    /// One WebSocket connection as a stream of parsed JSON frames. Ends when the node closes
    /// normally; throws on a problem frame (the node refused: a bad filter, an unknown session),
    /// on an abnormal close and on connection failures. Ending the iteration closes the socket.
    func webSocketFrames(_ path: String, query: [(String, String)] = []) -> AsyncThrowingStream<JSONValue, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: JSONValue.self, throwing: (any Error).self)
        let url = webSocketURL(path, query: query)
        let settings = configuration
        let webSocketConfiguration = WebSocketClientConfiguration(
            maxFrameSize: settings.maxFrameBytes,
            closeTimeout: settings.closeTimeout,
            autoPing: settings.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled
        )
        let task = Task {
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: webSocketConfiguration, logger: settings.logger) { inbound, _, _ in
                    for try await frame in inbound.messages(maxSize: settings.maxFrameBytes) {
                        guard case .text(let text) = frame else { continue }
                        let json: JSONValue
                        do throws(JSONError) {
                            json = try JSONParser.parse(text)
                        } catch {
                            throw PlexusClientError.invalidResponse("a frame from \(path) is not JSON: \(error.message)")
                        }
                        if let problem = ProblemDetails(frame: json) {
                            throw PlexusClientError.http(status: problem.status ?? 400, problem: problem, fallback: "the node refused \(path)")
                        }
                        continuation.yield(json)
                    }
                }
                guard let close else {
                    // No close frame: the connection dropped (a node restart, a proxy, the network).
                    throw PlexusClientError(.webSocketClosed, "the connection to \(path) ended without a close frame")
                }
                if close.closeCode != .normalClosure {
                    var error = PlexusClientError(.webSocketClosed, "the node closed \(path): \(close.closeCode) \(close.reason ?? "")")
                    error.closeCode = Int(UInt16(webSocketErrorCode: close.closeCode))
                    error.reason = close.reason
                    throw error
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: PlexusClientError.wrapping(error))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
