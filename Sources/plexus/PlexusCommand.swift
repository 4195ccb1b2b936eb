import ArgumentParser

/// The `plexus` command line: run a node, send messages, follow the live stream.
@main
struct PlexusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Plexus: a peer-to-peer federated communication mesh for agents, services and humans.",
        subcommands: [DevCommand.self, NodeCommand.self, SendCommand.self, TailCommand.self, SimCommand.self, IdentityCommand.self, TopologyCommand.self, StoreCommand.self]
    )
}
