import ArgumentParser
import Foundation
import PlexusIdentity

/// `plexus identity`: create an organisation CA and issue node certificates, so a mesh can be set
/// up without openssl recipes. The files written are exactly what a node configuration points at.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Create an organisation CA and issue node certificates.",
        discussion: """
            plexus identity init --org acme --out ./pki
            plexus identity issue --ca ./pki --node n1 --cluster eu1
            """,
        subcommands: [Init.self, Issue.self]
    )

    /// `plexus identity init`: a new CA (ca.pem, ca.key); never overwrites an existing ca.key.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create an organisation CA (ca.pem, ca.key) in a directory."
        )

        @Option(name: .long, help: "Organisation name ([A-Za-z0-9][A-Za-z0-9_-]{0,62}).")
        var org: String

        @Option(name: .long, help: "Directory to write ca.pem and ca.key into (created if missing).")
        var out: String

        @Option(name: .long, help: "Validity of the CA certificate in days.")
        var days: Int = 3650

        func run() async throws {
            do {
                let ca = try OrganisationCA.create(organisation: org, validityDays: days)
                try ca.write(to: out)
                print("created CA for \(org) in \(out)")
            } catch let error as IdentityError {
                throw CLIError(error.message)
            }
        }
    }

    /// `plexus identity issue`: a node certificate with fresh TLS and signing keys.
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a node certificate (node.pem, node.key, signing.key, ca.pem) from a CA directory."
        )

        @Option(name: .long, help: "The CA directory (holding ca.pem and ca.key).")
        var ca: String

        @Option(name: .long, help: "Node name.")
        var node: String

        @Option(name: .long, help: "Cluster name.")
        var cluster: String = "default"

        @Option(name: .long, help: "Output directory (default: <ca dir>/nodes/<node>).")
        var out: String?

        @Option(name: .long, help: "Validity of the node certificate in days.")
        var days: Int = 365

        func run() async throws {
            do {
                let authority = try OrganisationCA.load(from: ca)
                let identity = try authority.issue(node: node, cluster: cluster, validityDays: days)
                let directory = out ?? ((ca as NSString).appendingPathComponent("nodes") as NSString).appendingPathComponent(node)
                try identity.write(to: directory)
                let files = NodeIdentity.files(in: directory)
                print("issued \(identity.nodeID)")
                for path in [files.certificate, files.key, files.signingKey, files.ca] {
                    print("  \(path)")
                }
            } catch let error as IdentityError {
                throw CLIError(error.message)
            }
        }
    }
}
