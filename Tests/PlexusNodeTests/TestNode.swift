import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PlexusCore
import PlexusNode
import Testing

/// A real node on a free port with its own temporary data directory, for tests that talk to it
/// over real sockets.
final class TestNode: Sendable {
    let node: PlexusNode
    let task: Task<Void, any Error>
    let port: Int
    let dataDir: String
    /// `host:port` of the node's peer listener (empty with the mesh disabled).
    let meshAddress: String

    static func start(_ configure: (inout NodeConfiguration) -> Void = { _ in }) async throws -> TestNode {
        var config = NodeConfiguration()
        config.name = "test"
        config.http.port = 0
        config.mesh.port = 0
        config.dataDir = TestNode.temporaryDirectory()
        config.store.synchronous = .normal
        configure(&config)
        var logger = Logger(label: "plexus.test")
        logger.logLevel = .warning
        let node = try await PlexusNode(configuration: config, logger: logger, signals: false)
        let task = Task { try await node.run() }
        guard let port = await node.waitUntilListening() else {
            task.cancel()
            throw TestFailure("node did not start listening")
        }
        let mesh = await node.waitUntilMeshListening() ?? ""
        return TestNode(node: node, task: task, port: port, dataDir: config.dataDir, meshAddress: mesh)
    }

    private init(node: PlexusNode, task: Task<Void, any Error>, port: Int, dataDir: String, meshAddress: String) {
        self.node = node
        self.task = task
        self.port = port
        self.dataDir = dataDir
        self.meshAddress = meshAddress
    }

    var meshPort: Int { Int(meshAddress.split(separator: ":").last ?? "") ?? 0 }

    var base: String { "http://127.0.0.1:\(port)" }
    var wsBase: String { "ws://127.0.0.1:\(port)" }

    /// Waits until `count` live-stream clients are registered (a WebSocket upgrade completes
    /// before the server has added the client to the hub).
    func waitForStreamClients(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let stream = try await HTTP.get(base + "/healthz").json?.objectValue?["stream"]?.objectValue
            if stream?["clients"] == .integer(Int64(count)) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("\(count) stream clients never registered")
    }

    /// Shuts the node down; `keepingData` leaves its directory for a restart on it.
    func stop(keepingData: Bool = false) async throws {
        await node.shutdown()
        try await task.value
        if !keepingData { try? FileManager.default.removeItem(atPath: dataDir) }
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "plexus-test-" + UUID().uuidString.lowercased()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A response read whole: status, headers and body parsed as JSON when it is JSON.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var json: JSONValue? { try? JSONParser.parse(body) }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

enum HTTP {
    static func request(
        _ method: HTTPMethod,
        _ url: String,
        body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return HTTPReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(bytes.readableBytesView))
    }

    static func post(_ url: String, _ text: String) async throws -> HTTPReply {
        try await request(.POST, url, body: Array(text.utf8))
    }

    static func post(_ url: String, json: JSONValue) async throws -> HTTPReply {
        try await request(.POST, url, body: json.serialized())
    }

    static func get(_ url: String) async throws -> HTTPReply {
        try await request(.GET, url)
    }
}
