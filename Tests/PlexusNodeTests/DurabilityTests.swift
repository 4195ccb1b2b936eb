import Foundation
import PlexusCore
import Testing

/// The promise: an acknowledged message is never lost (RELIABILITY F1), with the real binary.
@Suite(.serialized) struct DurabilityTests {
    @Test func everyAckedMessageSurvivesKill9() async throws {
        let dataDir = TestNode.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let node = try await NodeProcess.dev(dataDir: dataDir)

        // Sustained ingest from 8 concurrent senders mixing batches and single messages; the node
        // is killed the moment the last acknowledgement arrives.
        let acked = try await withThrowingTaskGroup(of: [String].self) { group in
            for sender in 0..<8 {
                group.addTask {
                    var ids: [String] = []
                    for round in 0..<25 {
                        let count = round % 2 == 0 ? 1 : 20
                        let batch = (0..<count).map { i in
                            #"{"topic": "durable.s\#(sender)", "source_subject_id": "sender-\#(sender)", "data": {"round": \#(round), "i": \#(i)}}"#
                        }
                        let reply = try await HTTP.post(node.base + "/v1/messages", "[" + batch.joined(separator: ",") + "]")
                        guard reply.status == 202 else { throw TestFailure("status \(reply.status)") }
                        ids += (reply.json?["message_uuids"]?.arrayValue ?? []).compactMap(\.stringValue)
                    }
                    return ids
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        node.kill9()
        let perSender: Int = 13 + 12 * 20
        #expect(acked.count == 8 * perSender)

        let restarted = try await NodeProcess.dev(dataDir: dataDir)
        var missing = 0
        for id in acked where try await HTTP.get(restarted.base + "/v1/messages/" + id).status != 200 {
            missing += 1
        }
        #expect(missing == 0)
        // None twice: per sender, the log holds exactly what was acknowledged.
        for sender in 0..<8 {
            var total = 0
            var cursor: String? = nil
            repeat {
                let page = try await HTTP.get(restarted.base + "/v1/messages?subject=sender-\(sender)&limit=1000" + (cursor.map { "&cursor=" + $0 } ?? ""))
                total += page.json?["messages"]?.arrayValue?.count ?? 0
                cursor = page.json?["next_cursor"]?.stringValue
            } while cursor != nil
            #expect(total == perSender)
        }
        #expect(await restarted.terminate() == 0)
    }

    @Test func gracefulShutdownOnSIGTERMKeepsEverything() async throws {
        let dataDir = TestNode.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let node = try await NodeProcess.dev(dataDir: dataDir)
        let stream = WSTestClient(url: "ws://127.0.0.1:\(node.port)/v1/stream")
        defer { stream.stop() }
        let reply = try await HTTP.post(node.base + "/v1/messages", #"{"topic": "shutdown.test", "data": 1}"#)
        let id = try #require(reply.json?["message_uuid"]?.stringValue)
        // A connected stream client must not hold the node open.
        #expect(await node.terminate() == 0)
        let restarted = try await NodeProcess.dev(dataDir: dataDir)
        #expect(try await HTTP.get(restarted.base + "/v1/messages/" + id).status == 200)
        #expect(await restarted.terminate() == 0)
    }
}
