import PlexusStore

/// Sections 3 and 4: ingest over HTTP, end to end with durable acks (a 202 is sent only after the
/// group commit holding the message), load from wrk.
///
/// Section 4 also measures the same server stack answering a hello-world, the ceiling any
/// Hummingbird route can reach here, so "single-message ingest is N % of it" separates the cost of
/// ingest from the cost of HTTP.
struct HTTPIngestBench: Sendable {
    let plan: BenchPlan
    let factory: MessageFactory
    let load: LoadGenerator

    static let batchSection = "3. HTTP batch ingest (POST /v1/messages, 100 messages per request)"
    static let singleSection = "4. Single-message HTTP (POST /v1/messages, one message per request)"

    func runBatch() async throws -> [BenchFigure] {
        let body = factory.body(count: plan.batchSize)
        var figures: [BenchFigure] = []
        for synchronous in [SQLiteStoreOptions.Synchronous.full, .normal] {
            let (result, logged) = try await ingest(body: body, connections: plan.httpBatchConnections, synchronous: synchronous)
            let isDefault = synchronous == .full
            figures.append(BenchFigure(
                Self.batchSection,
                "\(plan.httpBatchConnections) connections, \(synchronous.rawValue)\(isDefault ? " (default)" : "")",
                result.requestsPerSecond * Double(plan.batchSize), "msgs/s",
                target: isDefault ? .atLeast(50_000) : nil,
                note: "\(BenchFigure.format(result.requestsPerSecond)) req/s × \(plan.batchSize); log holds \(logged) rows; \(result.note)"
            ))
        }
        return figures
    }

    func runSingle() async throws -> [BenchFigure] {
        let body = factory.body(count: 1)
        let connections = plan.singleConnections
        var figures: [BenchFigure] = []
        let hello = try await HelloWorldServer.start()
        let helloResult: LoadResult
        do {
            helloResult = try await load.run(url: hello.url, connections: connections, plan: plan)
        } catch {
            await hello.stop()
            throw error
        }
        await hello.stop()
        var defaultRate = 0.0
        for synchronous in [SQLiteStoreOptions.Synchronous.full, .normal] {
            let (result, logged) = try await ingest(body: body, connections: connections, synchronous: synchronous)
            let isDefault = synchronous == .full
            if isDefault { defaultRate = result.requestsPerSecond }
            figures.append(BenchFigure(
                Self.singleSection, "\(connections) connections, \(synchronous.rawValue)\(isDefault ? " (default)" : "")",
                result.requestsPerSecond, "req/s",
                note: "log holds \(logged) rows; \(result.note)"
            ))
            if !isDefault {
                figures.append(BenchFigure(
                    Self.singleSection, "  as % of hello-world (\(synchronous.rawValue))",
                    100 * result.requestsPerSecond / helloResult.requestsPerSecond, "%"
                ))
            }
        }
        figures.insert(BenchFigure(
            Self.singleSection, "  as % of hello-world (FULL, default)",
            100 * defaultRate / helloResult.requestsPerSecond, "%", target: .atLeast(50)
        ), at: 1)
        figures.append(BenchFigure(
            Self.singleSection, "hello-world GET /hello, same stack", helloResult.requestsPerSecond, "req/s",
            note: "the limit: Hummingbird .http1WebSocketUpgrade on 127.0.0.1, \(connections) connections; \(helloResult.note)"
        ))
        return figures
    }

    /// One wrk run of `body` against a fresh node; returns the load result and the rows logged.
    func ingest(body: [UInt8], connections: Int, synchronous: SQLiteStoreOptions.Synchronous) async throws -> (LoadResult, Int) {
        try await BenchNode.with("http", synchronous: synchronous) { node in
            let result = try await load.run(url: node.base + "/v1/messages", body: body, connections: connections, plan: plan)
            let logged = try await node.node.runtime.store.count()
            if result.requests == 0 || result.failedResponses > result.requests / 100 {
                throw BenchError("ingest run mostly failed: \(result.note)")
            }
            return (result, logged)
        }
    }
}
