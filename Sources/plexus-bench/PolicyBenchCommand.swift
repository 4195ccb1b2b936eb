import ArgumentParser
import Foundation
import Logging
import PlexusCore

/// `plexus-bench policy`: what the constraint checker costs (issue 8). Ingest with 10 active
/// policies, a JSON Schema template on every topic and a rate limit, beside the same run without
/// them. Target: at most 20 % slower.
///
/// 1. The checker alone in the core (`ConstraintSet.evaluate`), beside decoding the same
///    messages — the raw cost of the building block, one core.
/// 2. The node end to end: HTTP batch ingest (wrk, 100 messages per request, durable acks) into a
///    fresh node without constraints and one with them, alternated `--rounds` times so drift on
///    this shared machine falls on both. Without a mesh: the bench's recipients are homed nowhere,
///    and a mesh node would hold every message in its outbox (that is issue 5's benchmark).
struct PolicyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Ingest with 10 policies, a JSON Schema template and a rate limit, beside the same without them.",
        discussion: "Build first: swift build -c release --product plexus-bench. Uses wrk from PATH for HTTP load."
    )

    @Option(help: "Seconds per HTTP run.")
    var seconds = 10

    @Option(help: "Without/with pairs of HTTP runs.")
    var rounds = 2

    @Option(help: "Messages for the core section.")
    var messages = 200_000

    @Flag(help: "Only the core section (no node, no HTTP).")
    var coreOnly = false

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        MachineInfo.printHeader("Plexus policy benchmark")
        let plan = BenchPlan(quick: false, queryRows: 0, wrkSeconds: seconds)
        let factory = MessageFactory(subjects: plan.subjects, topics: plan.topics)
        let rules = PolicyBenchRules(topics: (0..<plan.topics).map { factory.topic($0) })
        print("rules:    \(rules.policies.count) policies, a JSON Schema template on each of \(plan.topics) topics, 1 rate limit keyed by source_subject_id")
        print("")

        let core = try PolicyCoreBench(factory: factory, rules: rules, count: messages).run()
        print(String(format: "1. decode alone (the pipeline's per-message work):    %10.0f msgs/s", core.decode))
        print(String(format: "   decode + constraint check:                       %10.0f msgs/s", core.decodeAndCheck))
        print(String(format: "   the check alone:                                  %10.0f msgs/s  (%.2f µs per message)", core.check, 1e6 / core.check))
        print("")
        if coreOnly { return }

        let load = LoadGenerator.detect()
        let body = factory.body(count: plan.batchSize)
        var without: [Double] = [], with: [Double] = []
        for round in 1...rounds {
            for constrained in [false, true] {
                let rate = try await BenchNode.with("policy", mesh: false) { node in
                    if constrained { try await rules.install(base: node.base) }
                    let result = try await load.run(url: node.base + "/v1/messages", body: body, connections: plan.httpBatchConnections, plan: plan)
                    if result.requests == 0 || result.failedResponses > result.requests / 100 {
                        let sample = try await PolicyBenchRules.post(body, to: node.base + "/v1/messages")
                        throw BenchError("ingest run mostly failed: \(result.note); a request now answers \(sample)")
                    }
                    return result.requestsPerSecond * Double(plan.batchSize)
                }
                print(String(format: "2. round %d, %@: %10.0f msgs/s", round, constrained ? "with constraints   " : "without constraints", rate))
                if constrained { with.append(rate) } else { without.append(rate) }
            }
        }
        let plain = without.reduce(0, +) / Double(without.count)
        let checked = with.reduce(0, +) / Double(with.count)
        let slower = 100 * (plain - checked) / plain
        print(String(format: "   HTTP batch ingest, mean of %d: %.0f msgs/s without, %.0f msgs/s with: %.1f %% slower (target ≤ 20 %%: %@)",
                     rounds, plain, checked, slower, slower <= 20 ? "met" : "NOT met"))
    }
}
