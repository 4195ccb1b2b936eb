import ArgumentParser
import Foundation
import Logging
import PlexusCore
import PlexusNode
import PlexusPostgres
import PlexusStore
import PlexusTestSupport

/// `plexus-bench postgres`: the PostgreSQL log (issue 7) in one run against a private
/// PostgreSQL 15 (initdb, fsync on) on this machine:
/// 1. the limit: raw COPY of the same rows into the same tables, no node;
/// 2. the store alone (`PostgresMessageStore.append`, concurrent callers);
/// 3. the node end to end (HTTP batch ingest with wrk → PostgreSQL);
/// 4. query latency at `--query-rows` rows: by uuid, by subject (100 rows), by topic + time.
struct PostgresBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "PostgreSQL log: raw COPY limit, store and node ingest, query latency at 10M rows.",
        discussion: "Needs postgresql-15 (apt-get install -y postgresql-15) and wrk. The 10M-row fill takes several minutes; --query-rows 1000000 for a quick look."
    )

    @Option(help: "Rows for the COPY, store and fill comparisons.")
    var rows = 300_000

    @Option(help: "Rows in the log when queries are timed (0: no query section).")
    var queryRows = 10_000_000

    @Option(help: "Rows for the side-table-or-GIN design check (0: skip it).")
    var designRows = 1_000_000

    @Option(help: "Seconds of HTTP load.")
    var seconds = 10

    func run() async throws {
        MachineInfo.printHeader("Plexus PostgreSQL log benchmark")
        let server = try PostgresServer()
        try await server.start()
        defer { server.stop() }
        print("server:   PostgreSQL 15 on 127.0.0.1:\(server.port), fsync on, shared_buffers 256MB, same machine (2 cores shared with the node)")
        let factory = MessageFactory(subjects: 1_000, topics: 100)
        let records = try factory.records(rows: rows, batchSize: 100)
        print("rows:     \(rows) per ingest figure, the HTTP ingest's message shape (\(factory.input(0).serialized().count) bytes as sent)")
        print("")
        var logger = Logger(label: "plexus.bench.postgres")
        logger.logLevel = .warning
        func configuration(_ schema: String) -> PostgresStoreConfiguration {
            PostgresStoreConfiguration(url: server.url, schema: schema, partitioning: .native)
        }

        // 1. The limit.
        let rawAll = try await PostgresRawCopyBenchmark.run(configuration: configuration("raw_all"), records: records, batchSize: 10_000, tables: .all, logger: logger)
        print(line("1. raw COPY, batches of 10,000, the store's 3 tables + indexes", rawAll, "rows/s", "the limit the target compares with"))
        let rawMessages = try await PostgresRawCopyBenchmark.run(configuration: configuration("raw_messages"), records: records, batchSize: 10_000, tables: .messagesOnly, logger: logger)
        print(line("   raw COPY, batches of 10,000, message_exchange alone", rawMessages, "rows/s", "time + topic indexes, day partitions"))

        // 2. The store alone.
        let store = try await PostgresMessageStore.open(configuration: configuration("store"), logger: logger)
        let (storeRate, storeNote) = try await StoreBench.appendConcurrently(records, into: store, tasks: 16, batchSize: 1_000)
        print(line("2. store alone: 16 tasks × appends of 1,000", storeRate, "rows/s", "\(percent(storeRate, rawAll)) of raw COPY; \(storeNote)"))
        let small = try await PostgresMessageStore.open(configuration: configuration("store_small"), logger: logger)
        let (smallRate, smallNote) = try await StoreBench.appendConcurrently(Array(records.prefix(rows / 3)), into: small, tasks: 64, batchSize: 100)
        print(line("   store alone: 64 tasks × appends of 100", smallRate, "rows/s", "\(percent(smallRate, rawAll)) of raw COPY; \(smallNote)"))

        // 3. The node end to end.
        let plan = BenchPlan(quick: false, queryRows: 0, wrkSeconds: seconds)
        let load = LoadGenerator.detect()
        let body = factory.body(count: 100)
        // The raw limit moves between runs on this shared machine (30–48k rows/s seen), so each
        // node figure is set against the raw COPY measured just before and just after it.
        var rawBefore = rawAll
        // No mesh, as in the edge benchmark: messages to subjects homed nowhere would also be
        // held for forwarding (an outbox row each), which is routing's cost, not the log's.
        for connections in [16, 64, 128] {
            // A fresh schema per figure, as for the raw limit (a table that already holds the
            // previous figure's rows, with autovacuum working on it, is slower to COPY into).
            var nodeStore = NodeConfiguration.Store()
            nodeStore.kind = .postgres
            var http = configuration("http\(connections)")
            http.spoolPath = ""
            nodeStore.postgres = http
            let (result, logged) = try await BenchNode.with("postgres-http", mesh: false, store: nodeStore) { node in
                let result = try await load.run(url: node.base + "/v1/messages", body: body, connections: connections, plan: plan)
                return (result, try await node.node.runtime.store.count())
            }
            let httpRate = result.requestsPerSecond * 100
            let rawAfter = try await PostgresRawCopyBenchmark.run(configuration: configuration("raw_after\(connections)"), records: records, batchSize: 10_000, tables: .all, logger: logger)
            let limit = (rawBefore + rawAfter) / 2
            print(line("3. node (no mesh): HTTP batches of 100, \(connections) connections", httpRate, "msgs/s",
                       "\(percent(httpRate, limit)) of raw COPY around it; \(logged) rows logged; \(result.note)"))
            print(line("   raw COPY again, 3 tables, just after", rawAfter, "rows/s", "raw around the node figure: \(BenchFigure.format(limit)) rows/s (mean of before and after)"))
            rawBefore = rawAfter
        }

        // 5 (run before 4, which takes long). The design check: message_subjects or a GIN index.
        if designRows > 0 { try await designCheck(factory: factory, configuration: configuration, logger: logger) }

        // 4. Queries at queryRows rows (0 skips them).
        guard queryRows > 0 else { return }
        let filler = StoreFiller(factory: factory, batch: 10_000)
        var queryConfig = configuration("query")
        queryConfig.maxBatchRows = 30_000
        let filled = try await filler.fill(try await PostgresMessageStore.open(configuration: queryConfig, logger: logger), rows: queryRows)
        print(line("4. fill: store.append of 10,000-row batches, 3 in flight", filled.rowsPerSecond, "rows/s",
                   "\(queryRows) rows in \(BenchFigure.format(filled.seconds)) s (record building overlapped)"))
        try await vacuum(server.url, schema: "query")
        var queryStore = NodeConfiguration.Store()
        queryStore.kind = .postgres
        queryStore.postgres = queryConfig
        let figures = try await BenchNode.with("postgres-query", mesh: false, store: queryStore) { node in
            let queries = QueryBench(plan: BenchPlan(quick: false, queryRows: queryRows, wrkSeconds: 0), factory: factory)
            var figures = try await queries.measure(node: node, ids: filled.sampleIDs)
            figures += try await topicTimeQueries(node.node.runtime.store, queries: queries)
            return figures
        }
        for figure in figures { print(line("   " + figure.name, figure.value, figure.unit, figure.note)) }
        print("")
        print("load avg: \(MachineInfo.loadAverage()) at end")
    }

    /// Raw COPY of `designRows` rows into the store's tables and into the GIN design, then the
    /// subject page (newest 100) on each, sequentially.
    func designCheck(factory: MessageFactory, configuration: (String) -> PostgresStoreConfiguration, logger: Logger) async throws {
        let records = try factory.records(rows: designRows, batchSize: 100)
        let side = try await PostgresRawCopyBenchmark.run(configuration: configuration("design_side"), records: records, batchSize: 10_000, tables: .all, logger: logger)
        let gin = try await PostgresRawCopyBenchmark.run(configuration: configuration("design_gin"), records: records, batchSize: 10_000, tables: .ginInsteadOfSubjects, logger: logger)
        print(line("5. design: raw COPY, message_subjects side table (the store's)", side, "rows/s", "\(designRows) rows"))
        print(line("   design: raw COPY, GIN on recipients + sender index instead", gin, "rows/s", "\(percent(gin, side)) of the side table's rate"))
        try await vacuum(configuration("design_side").url, schema: "design_side")
        try await vacuum(configuration("design_gin").url, schema: "design_gin")
        var rng = SplitMix64(seed: 5)
        let count = 1_000
        let warmup = 100
        // The ingest records come from 100-message bodies, so their senders are subjects 0...99.
        let subjects = (0..<(count + warmup)).map { _ in factory.subject(Int.random(in: 0..<100, using: &rng)) }
        let store = try await PostgresMessageStore.open(configuration: configuration("design_side"), logger: logger)
        let sideStats = try await LatencyStats.measure(count: count, warmup: warmup) { i in
            guard try await store.query(MessageQuery(subject: subjects[i], limit: 100)).messages.count == 100 else { throw BenchError("short subject page") }
        }
        try await store.close()
        let ginQueries = try await PostgresGINQueryBenchmark.connect(configuration: configuration("design_gin"), logger: logger)
        let ginStats = try await LatencyStats.measure(count: count, warmup: warmup) { i in
            guard try await ginQueries.subjectPage(subjects[i]) == 101 else { throw BenchError("short GIN subject page") }
        }
        await ginQueries.close()
        let perSubject = designRows / 100
        print(line("   design: subject page (100) via message_subjects, p50 / p99", sideStats.p50, "ms", "p99 \(BenchFigure.format(sideStats.p99)) ms; each subject sent ~\(perSubject) messages"))
        print(line("   design: subject page (100) via GIN + sender index, p50 / p99", ginStats.p50, "ms", "p99 \(BenchFigure.format(ginStats.p99)) ms"))
    }

    /// Newest 100 of one topic inside a 60-second window somewhere in the log.
    func topicTimeQueries(_ store: any MessageStore, queries: QueryBench) async throws -> [BenchFigure] {
        var rng = SplitMix64(seed: 11)
        let span = Int64(queryRows) * 1_000  // the fill's origin times are 1 ms apart
        let count = queries.plan.queryRequests
        let windows = (0..<(count + queries.plan.queryWarmup)).map { _ -> MessageQuery in
            let start = MessageFactory.seededClock.adding(microseconds: Int64.random(in: 0..<max(1, span - 60_000_000), using: &rng))
            return MessageQuery(topic: try! TopicPattern("bench.t\(Int.random(in: 0..<100, using: &rng)).events"),
                                since: start, until: start.adding(microseconds: 60_000_000), limit: 100)
        }
        let stats = try await LatencyStats.measure(count: count, warmup: queries.plan.queryWarmup) { i in
            let page = try await store.query(windows[i])
            guard !page.messages.isEmpty else { throw BenchError("topic + time query found nothing") }
        }
        return queries.rows("store.query(topic, 60 s window, limit 100) direct", stats, target: nil)
    }

    /// Statistics for the planner after the bulk fill (autovacuum would get there later).
    func vacuum(_ url: String, schema: String) async throws {
        let psql = try ChildProcess("/usr/bin/psql", [url, "-q", "-c", "SET search_path TO \(schema)", "-c", "VACUUM ANALYZE"],
                                    stdout: .inherit, stderr: .inherit)
        let status = await psql.exitStatus()
        guard status == 0 else { throw BenchError("psql VACUUM ANALYZE exited with \(status)") }
    }

    func percent(_ value: Double, _ limit: Double) -> String {
        "\(BenchFigure.format(100 * value / limit)) %"
    }

    func line(_ name: String, _ value: Double, _ unit: String, _ note: String?) -> String {
        let text = "  \(name.padding(toLength: 64, withPad: " ", startingAt: 0)) \(BenchFigure.format(value)) \(unit)"
        return note.map { text + "  (\($0))" } ?? text
    }
}
