import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import PlexusCore

/// `plexus send`: post one message from flags, or many (one JSON object per line) from a file or
/// stdin, in batches. Prints each accepted `message_uuid`.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message, or many from a file/stdin (one JSON message per line).",
        discussion: """
        plexus send --topic agents.alpha.events --data '{"n": 1}' --source alpha --to beta
        cat messages.ndjson | plexus send --file - --batch 500
        """
    )

    @Option(name: .long, help: "The node's base URL.")
    var url: String = "http://127.0.0.1:7700"

    @Option(name: .long, help: "Topic of the message.")
    var topic: String?

    @Option(name: .long, help: "Payload (message_data) as JSON; a bare word is sent as a string.")
    var data: String?

    @Option(name: .long, help: "Sender subject id.")
    var source: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Recipient subject ids.")
    var to: [String] = []

    @Option(name: .long, help: "message_type (default: message).")
    var type: String?

    @Option(name: .long, help: "Read messages from a file, one JSON object per line ('-' for stdin).")
    var file: String?

    @Option(name: .long, help: "Messages per request when reading a file.")
    var batch: Int = 100

    func validate() throws {
        if file == nil && topic == nil { throw ValidationError("give --topic (one message) or --file (many)") }
        if file != nil && topic != nil { throw ValidationError("--topic and --file exclude each other") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            if let file {
                try await sendFile(file, client: client)
            } else {
                try await post([try flagMessage()], client: client)
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func flagMessage() throws -> JSONValue {
        var object: JSONObject = ["topic": .string(topic ?? "")]
        if let data {
            object["message_data"] = (try? JSONParser.parse(data)) ?? .string(data)
        }
        if let source { object["source_subject_id"] = .string(source) }
        if !to.isEmpty { object["destination_subject_ids"] = .array(to.map { .string($0) }) }
        if let type { object["message_type"] = .string(type) }
        return .object(object)
    }

    func sendFile(_ path: String, client: HTTPClient) async throws {
        let handle: FileHandle
        if path == "-" {
            handle = .standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot open \(path)") }
            handle = opened
        }
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var pending: [JSONValue] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            do {
                pending.append(try JSONParser.parse(line))
            } catch {
                throw CLIError("\(path):\(lineNumber): \(error)")
            }
            if pending.count >= batch {
                try await post(pending, client: client)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try await post(pending, client: client) }
    }

    func post(_ messages: [JSONValue], client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: url + "/v1/messages")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        let body: JSONValue = messages.count == 1 ? messages[0] : .array(messages)
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let reply = try? JSONParser.parse(Array(bytes.readableBytesView))
        guard (200..<300).contains(Int(response.status.code)) else {
            let detail = reply?["detail"]?.stringValue ?? String(buffer: bytes)
            throw CLIError("the node refused the request (\(response.status.code)): \(detail)")
        }
        for id in reply?["message_uuids"]?.arrayValue ?? [] {
            print(id.stringValue ?? "")
        }
    }
}
