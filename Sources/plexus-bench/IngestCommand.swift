import ArgumentParser
import Foundation
import Logging

/// `plexus-bench ingest`: every figure the performance issue asks for, in one run, from the SQLite
/// floor up to the HTTP and WebSocket edges, each printed next to its target.
///
/// Sections run one after another, each with its own fresh node and data directory, so no section
/// measures another's leftovers. A section that fails is reported and the run goes on.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest, query, fan-out and memory figures, with the issue's targets.",
        discussion: """
        Build first: swift build -c release --product plexus-bench --product plexus
        (section 8 runs the `plexus` binary next to this one). Uses wrk from PATH for HTTP load.
        """
    )

    @Flag(help: "Smaller counts (100,000 query rows, 5 s wrk runs) for a quick check.")
    var quick = false

    @Option(help: "Rows in the log for the query section (default 1,000,000; 100,000 with --quick).")
    var rows: Int?

    @Option(help: "Seconds per wrk run (default 10; 5 with --quick).")
    var wrkSeconds: Int?

    @Option(help: "Only these sections, comma-separated: raw,store,http,single,ws,query,fanout,rss.")
    var only: String?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    static let sectionNames = ["raw", "store", "http", "single", "ws", "query", "fanout", "rss"]

    func validate() throws {
        if let rows, rows < 10_000 { throw ValidationError("--rows must be at least 10000") }
        if let wrkSeconds, !(1...120).contains(wrkSeconds) { throw ValidationError("--wrk-seconds must be 1...120") }
        for name in selected where !Self.sectionNames.contains(name) {
            throw ValidationError("unknown section \"\(name)\" in --only; known: \(Self.sectionNames.joined(separator: ","))")
        }
    }

    var selected: [String] {
        only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Self.sectionNames
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let plan = BenchPlan(quick: quick, queryRows: rows ?? (quick ? 100_000 : 1_000_000), wrkSeconds: wrkSeconds ?? (quick ? 5 : 10))
        let factory = MessageFactory(subjects: plan.subjects, topics: plan.topics)
        let load = LoadGenerator.detect()
        progress("measuring fsync latency and reading machine info")
        var report = BenchReport(machine: MachineInfo.collect(), plan: plan, loadGenerator: load.description)
        let store = StoreBench(plan: plan, factory: factory)
        let http = HTTPIngestBench(plan: plan, factory: factory, load: load)
        let query = QueryBench(plan: plan, factory: factory)
        let sections: [(String, String, @Sendable () async throws -> [BenchFigure])] = [
            ("raw", StoreBench.rawSection, { try await store.runRaw() }),
            ("store", StoreBench.storeSection, { try await store.runStoreAlone() }),
            ("http", HTTPIngestBench.batchSection, { try await http.runBatch() }),
            ("single", HTTPIngestBench.singleSection, { try await http.runSingle() }),
            ("ws", WebSocketIngestBench.section, { try await WebSocketIngestBench(plan: plan, factory: factory).run() }),
            ("query", query.section, { try await query.run() }),
            ("fanout", FanoutBench.section, { try await FanoutBench(plan: plan, factory: factory).run() }),
            ("rss", IdleRSSBench.section, { try await IdleRSSBench().run() }),
        ]
        let wanted = selected
        for (name, title, body) in sections where wanted.contains(name) {
            progress("running \(title)")
            let watch = Stopwatch()
            do {
                let figures = try await body()
                report.figures += figures
                for figure in figures { progress("  \(figure.name): \(BenchFigure.format(figure.value)) \(figure.unit)") }
            } catch {
                report.failures.append((title, "\(error)"))
                progress("  FAILED: \(error)")
            }
            progress("  (\(BenchFigure.format(watch.seconds)) s)")
        }
        print(json ? report.json().jsonString : report.table())
    }

    /// Progress goes to stderr, so stdout holds only the report (and `--json` stays parseable).
    func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
