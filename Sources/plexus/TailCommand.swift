import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import PlexusCore

/// `plexus tail`: follow the live stream, one line per message.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow the node's live stream, one line per message.",
        discussion: "plexus tail --topic 'agents.>' --subject alpha"
    )

    @Option(name: .long, help: "The node's base URL (http:// or ws://).")
    var url: String = "http://127.0.0.1:7700"

    @Option(name: .long, help: "Topic pattern (NATS wildcards * and >).")
    var topic: String?

    @Option(name: .long, help: "Only messages from or to this subject.")
    var subject: String?

    @Flag(name: .long, help: "Print each message's full JSON instead of a summary line.")
    var json = false

    func run() async throws {
        var query: [String] = []
        if let topic { query.append("topic=" + (topic.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? topic)) }
        if let subject { query.append("subject=" + (subject.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? subject)) }
        var base = url
        if base.hasPrefix("http://") { base = "ws://" + base.dropFirst("http://".count) }
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst("https://".count) }
        let streamURL = base + "/v1/stream" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let json = json
        var logger = Logger(label: "plexus.tail")
        logger.logLevel = .warning
        let close = try await WebSocketClient.connect(url: streamURL, logger: logger) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 16 << 20) {
                guard case .text(let text) = message else { continue }
                print(json ? text : Self.summary(text))
                fflush(nil)
            }
        }
        if let close, close.closeCode != .normalClosure {
            throw CLIError("stream closed: \(close.closeCode) \(close.reason ?? "")")
        }
    }

    /// `2026-11-29T18:42:03.123456Z agents.alpha.events alpha -> beta {"hello":"world"}`
    static func summary(_ text: String) -> String {
        guard let value = try? JSONParser.parse(text) else { return text }
        let ts = value["origin_ts"]?.stringValue ?? "?"
        let topic = value["topic"]?.stringValue ?? "?"
        let source = value["source_subject_id"]?.stringValue ?? "-"
        let to = (value["destination_subject_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        let data = value["message_data"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "null"
        let arrow = to.isEmpty ? "" : " -> " + to.joined(separator: ",")
        return "\(ts) \(topic) \(source)\(arrow) \(data)"
    }
}
