import ArgumentParser
import Foundation

/// `plexus-bench edges`: Redis-list and NATS-subject ingest end to end into the durable log,
/// each beside the raw server rate measured in the same run by the same client code, and the
/// store alone (the log's own ceiling) for the target "≥ 50 % of raw, or the durable-ingest
/// rate, whichever is lower".
struct EdgeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edges",
        abstract: "Redis and NATS edge ingest into the durable log, beside the raw server rates.",
        discussion: "Needs redis-server and nats-server (apt-get install -y redis-server nats-server) and a build with libhiredis-dev. About a minute."
    )

    @Option(help: "Messages per measurement.")
    var messages = 100_000

    @Option(help: "Items the edge moves and logs at once.")
    var batch = 1_000

    func run() async throws {
        _ = MachineInfo.printHeader("Plexus edge benchmark", disk: true)
        let factory = MessageFactory(subjects: 1_000, topics: 100)
        print("message:  \(factory.input(0).serialized().count) bytes (the ingest benchmarks' shape), \(messages) per run, edge batch \(batch)")
        print("")

        let store = StoreBench(plan: BenchPlan(quick: true, queryRows: 0, wrkSeconds: 0), factory: factory)
        let rows = try factory.records(rows: messages, batchSize: batch)
        let (storeRate, storeNote) = try await store.storeAlone(rows, tasks: 4, batchSize: batch, synchronous: .full)
        print(line("store alone: 4 tasks × batches of \(batch), FULL", storeRate, "rows/s", storeNote))

        let servers = try await EdgeServers.start()
        do {
            let redis = RedisEdgeBench(url: servers.redisURL, messages: messages, batch: batch, factory: factory)
            let redisRaw = try await redis.raw()
            print(line("redis raw: pipelined RPUSH + take/trim scripts, no node", redisRaw, "msgs/s", nil))
            let redisEdge = try await redis.throughNode()
            print(line("redis edge: RPUSH MESSAGES → durable log", redisEdge.rate, "msgs/s", verdict(redisEdge.rate, raw: redisRaw, store: storeRate)))

            let nats = NATSEdgeBench(url: servers.natsURL, messages: messages, batch: batch, factory: factory)
            let natsRaw = try await nats.raw()
            print(line("nats raw: publisher → subscriber, no node", natsRaw.rate, "msgs/s", "\(natsRaw.received) received"))
            let natsEdge = try await nats.throughNode()
            print(line("nats edge: PUB MESSAGES → durable log", natsEdge.rate, "msgs/s", verdict(natsEdge.rate, raw: natsRaw.rate, store: storeRate)))
        } catch {
            await servers.stop()
            throw error
        }
        await servers.stop()
        print("")
        print("load avg: \(MachineInfo.loadAverage()) at end")
    }

    func line(_ name: String, _ value: Double, _ unit: String, _ note: String?) -> String {
        let text = "  \(name.padding(toLength: 58, withPad: " ", startingAt: 0)) \(BenchFigure.format(value)) \(unit)"
        return note.map { text + "\n      " + $0 } ?? text
    }

    /// Target: ≥ 50 % of the raw rate, or the store's durable rate, whichever is lower.
    func verdict(_ rate: Double, raw: Double, store: Double) -> String {
        let target = min(raw / 2, store)
        let basis = raw / 2 < store ? "50 % of raw" : "the store alone"
        return "target ≥ \(BenchFigure.format(target)) (\(basis)): \(rate >= target ? "met" : "MISSED") — \(Int((rate / raw * 100).rounded())) % of raw, \(Int((rate / store * 100).rounded())) % of the store alone"
    }
}
