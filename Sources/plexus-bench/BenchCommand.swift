import ArgumentParser

/// `plexus-bench`: the project's benchmarks as a program that prints figures (house style rule 10),
/// never as timed assertions in tests. Figures belong in `docs/benchmarks.md` together with the
/// machine, date and command that this program prints at the top of its output.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus-bench",
        abstract: "Plexus benchmarks: run with `swift run -c release plexus-bench ingest`.",
        subcommands: [IngestCommand.self, MeshBenchCommand.self, NATSClusterCommand.self, RoutingBenchCommand.self, EdgeBenchCommand.self, PostgresBenchCommand.self, PolicyBenchCommand.self, SessionBenchCommand.self]
    )
}
