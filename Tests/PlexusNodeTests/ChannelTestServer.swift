import Foundation
import Hummingbird
import Logging
import NIOCore
import PlexusCore
import Synchronization

/// A real HTTP receiver standing in for a channel's far end (a custom channel, Slack's or Teams'
/// incoming webhook): records every POST, answers 200, and runs `react` on each afterwards,
/// detached, as the original's example channel did (it took the prompt, a person answered
/// later, and it called `response_url`).
final class ChannelTestServer: Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        var json: JSONValue? { try? JSONParser.parse(body) }
    }

    let task: Task<Void, any Error>
    let port: Int
    let requestStream: AsyncStream<Request>

    init(react: @escaping @Sendable (Request) async -> Void = { _ in }) async throws {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let (requestStream, requestContinuation) = AsyncStream.makeStream(of: Request.self)
        self.requestStream = requestStream
        let router = Router()
        let seen = RequestLog()
        router.post("/**") { request, _ -> HTTPResponse.Status in
            let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = Request(path: request.uri.path, headers: headers, body: body)
            seen.requests.withLock { $0.append(recorded) }
            requestContinuation.yield(recorded)
            Task { await react(recorded) }
            return .ok
        }
        var logger = Logger(label: "channel-receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0); portContinuation.finish() }, logger: logger)
        task = Task { try await app.runService() }
        var port = 0
        for await p in ports { port = p; break }
        self.port = port
        self.requestsBox = seen
    }

    private let requestsBox: RequestLog

    var all: [Request] { requestsBox.requests.withLock { $0 } }
    func url(_ path: String = "/channel") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The next request, within 20 s.
    func next() async throws -> Request {
        try await withThrowingTaskGroup(of: Request?.self) { group in
            group.addTask {
                for await request in self.requestStream { return request }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw TestFailure("no request reached the channel receiver within 20 s") }
            return first
        }
    }

    func stop() { task.cancel() }

    final class RequestLog: Sendable {
        let requests = Mutex<[Request]>([])
    }
}
