import Foundation
import PlexusCore
import PlexusTestSupport
import Testing

/// `plexus send` and `plexus tail` against a real node.
@Suite struct CLITests {
    /// Runs the CLI binary on its own thread: waiting for it on one of the two cooperative threads
    /// would starve the in-process node it talks to (and every other test).
    func run(_ arguments: [String], stdin: String? = nil) async throws -> (status: Int32, out: String, err: String) {
        try await RawHTTP.onThread { try Self.runBlocking(arguments, stdin: stdin) }
    }

    /// Output goes to temporary files: the test reads stdout and stderr after the exit, and a
    /// pipe could fill up while the child still writes to the other one.
    private static func runBlocking(_ arguments: [String], stdin: String?) throws -> (status: Int32, out: String, err: String) {
        let base = NSTemporaryDirectory() + "plexus-cli-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = try ChildProcess(NodeProcess.executable, arguments, stdinPipe: true, stdout: .file(base + ".out"), stderr: .file(base + ".err"))
        if let stdin { try process.writeStdin(stdin) }
        process.closeStdin()
        let status = process.waitForExit()
        let output = String(decoding: FileManager.default.contents(atPath: base + ".out") ?? Data(), as: UTF8.self)
        let errors = String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self)
        return (status, output, errors)
    }

    @Test func sendOneFromFlagsAndManyFromStdin() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let one = try await run(["send", "--url", node.base, "--topic", "cli.one", "--data", #"{"n": 1}"#, "--source", "alpha", "--to", "beta", "gamma"])
        #expect(one.status == 0, "\(one.err)")
        let id = one.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let stored = try await HTTP.get(node.base + "/v1/messages/" + id)
        #expect(stored.json?["message_data"] == ["n": 1])
        #expect(stored.json?["destination_subject_ids"] == ["beta", "gamma"])

        let lines = (0..<250).map { #"{"topic": "cli.many", "data": \#($0)}"# }.joined(separator: "\n")
        let many = try await run(["send", "--url", node.base, "--file", "-", "--batch", "100"], stdin: lines + "\n")
        #expect(many.status == 0, "\(many.err)")
        #expect(many.out.split(separator: "\n").count == 250)

        let refused = try await run(["send", "--url", node.base, "--topic", "bad topic"])
        #expect(refused.status != 0)
        #expect(refused.err.contains("whitespace"))
    }

    @Test func tailPrintsOneLinePerMatchingMessage() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let process = try ChildProcess(NodeProcess.executable, ["tail", "--url", node.base, "--topic", "agents.>"], stdout: .pipe)
        defer { process.kill9() }
        for _ in 0..<200 {
            let health = try await HTTP.get(node.base + "/healthz")
            if health.json?["stream"]?["clients"]?.integerValue == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = try await HTTP.post(node.base + "/v1/messages", #"[{"topic": "other.x", "data": 0}, {"topic": "agents.alpha.events", "source_subject_id": "alpha", "destination_subject_ids": ["beta"], "data": {"hello": "world"}}]"#)
        let line = try await RawHTTP.onThread { () -> String in
            var text = ""
            while !text.contains("\n") {
                let data = process.read()
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            return text
        }
        #expect(line.contains("agents.alpha.events alpha -> beta {\"hello\":\"world\"}"))
        #expect(!line.contains("other.x"))
    }
}
