import PlexusCore

/// Turns a host name into addresses for the dispatcher, which checks them with the address guard
/// and then connects to a checked one itself. A protocol so tests can make a name resolve to
/// loopback (the DNS-rebinding case) without touching real DNS.
public protocol WebhookHostResolver: Sendable {
    func resolve(host: String) async throws -> [OutboundAddress]
}
