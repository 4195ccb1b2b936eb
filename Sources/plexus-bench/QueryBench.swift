import AsyncHTTPClient
import NIOCore
import PlexusCore
import PlexusStore

/// Section 6: read latency on a large log. One keep-alive connection, requests strictly one after
/// another, so each sample is the latency of one query (not throughput under contention). The same
/// two queries straight on the store show how much of it is HTTP.
struct QueryBench: Sendable {
    let plan: BenchPlan
    let factory: MessageFactory

    var section: String { "6. Queries at \(BenchFigure.format(Double(plan.queryRows))) rows (sequential, one keep-alive connection)" }

    func run() async throws -> [BenchFigure] {
        let dir = try TempDirectory("query")
        defer { dir.remove() }
        let filled = try await StoreFiller(factory: factory, batch: plan.fillBatch).fill(path: dir.file("log.sqlite"), rows: plan.queryRows)
        var figures = [BenchFigure(
            section, "fill (append, batches of \(plan.fillBatch), NORMAL)", filled.rowsPerSecond, "rows/s",
            note: "\(plan.queryRows) rows in \(BenchFigure.format(filled.seconds)) s over \(plan.subjects) subjects and \(plan.topics) topics (record building overlapped)"
        )]
        let more = try await BenchNode.with("query", dataDir: dir) { node in
            try await measure(node: node, ids: filled.sampleIDs)
        }
        figures += more
        return figures
    }

    func measure(node: BenchNode, ids: [MessageID]) async throws -> [BenchFigure] {
        var rng = SplitMix64(seed: 7)
        let count = plan.queryRequests
        let warmup = plan.queryWarmup
        let uuids = (0..<(count + warmup)).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
        let subjects = (0..<(count + warmup)).map { _ in factory.subject(Int.random(in: 0..<plan.subjects, using: &rng)) }

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = node.base
        let store = node.node.runtime.store
        do {
            let httpUUID = try await TimeLimit.run(.seconds(300), "HTTP uuid queries") {
                try await LatencyStats.measure(count: count, warmup: warmup) { i in
                    let body = try await Self.get(client, base + "/v1/messages/" + uuids[i].description)
                    guard body.readableBytes > 100 else { throw BenchError("uuid query returned \(body.readableBytes) bytes") }
                }
            }
            let httpSubject = try await TimeLimit.run(.seconds(300), "HTTP subject queries") {
                try await LatencyStats.measure(count: count, warmup: warmup) { i in
                    let body = try await Self.get(client, base + "/v1/messages?subject=\(subjects[i])&limit=100")
                    guard body.readableBytes > 100 * 100 else { throw BenchError("subject query returned only \(body.readableBytes) bytes") }
                }
            }
            try await client.shutdown()
            let directUUID = try await TimeLimit.run(.seconds(300), "direct uuid queries") {
                try await LatencyStats.measure(count: count, warmup: warmup) { i in
                    guard try await store.message(id: uuids[i]) != nil else { throw BenchError("uuid \(uuids[i]) not in the log") }
                }
            }
            let directSubject = try await TimeLimit.run(.seconds(300), "direct subject queries") {
                try await LatencyStats.measure(count: count, warmup: warmup) { i in
                    let page = try await store.query(MessageQuery(subject: subjects[i], limit: 100))
                    guard page.messages.count == 100 else { throw BenchError("subject query returned \(page.messages.count) messages") }
                }
            }
            return rows("GET /v1/messages/{uuid}", httpUUID, target: 2)
                + rows("GET /v1/messages?subject=X&limit=100", httpSubject, target: 10)
                + rows("store.message(id:) direct", directUUID, target: nil)
                + rows("store.query(subject, limit 100) direct", directSubject, target: nil)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func rows(_ name: String, _ stats: LatencyStats, target: Double?) -> [BenchFigure] {
        [
            BenchFigure(section, name + " p50", stats.p50, "ms", note: "\(stats.count) requests after \(plan.queryWarmup) warm-up; mean \(BenchFigure.format(stats.mean)) ms"),
            BenchFigure(section, name + " p99", stats.p99, "ms", target: target.map { .below($0) }),
            BenchFigure(section, name + " max", stats.max, "ms"),
        ]
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> ByteBuffer {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code == 200 else {
            throw BenchError("GET \(url) returned \(response.status.code): \(String(buffer: body).prefix(300))")
        }
        return body
    }
}
