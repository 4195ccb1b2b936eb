import NIOCore
import NIOPosix
import NIOSSL
import PlexusCore

/// One guarded POST: check the URL, resolve its host, check every address, connect to a checked
/// address (so DNS cannot swap in another between check and connect), send, read the status.
/// Webhook deliveries and human-in-the-loop channels both send through it (RELIABILITY S4).
public struct GuardedPoster: Sendable {
    public let addressGuard: AddressGuard
    let resolver: any WebhookHostResolver
    let client: WebhookHTTPClient

    public init(
        addressGuard: AddressGuard, resolver: any WebhookHostResolver = WebhookSystemResolver(), extraTrustRoots: [NIOSSLCertificate] = [],
        userAgent: String = "Plexus/1", group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.addressGuard = addressGuard
        self.resolver = resolver
        self.client = try WebhookHTTPClient(group: group, extraTrustRoots: extraTrustRoots, userAgent: userAgent)
    }

    init(addressGuard: AddressGuard, resolver: any WebhookHostResolver, client: WebhookHTTPClient) {
        self.addressGuard = addressGuard
        self.resolver = resolver
        self.client = client
    }

    /// Where a URL may be reached, or why not.
    public enum Resolution: Sendable {
        case addresses(AddressGuardTarget, [OutboundAddress])
        case failed(WebhookAttemptOutcome)
    }

    /// The guarded addresses `url`'s host stands for, in the order to try them.
    public func addresses(for url: String) async -> Resolution {
        let target: AddressGuardTarget
        do {
            target = try addressGuard.check(url: url)
        } catch {
            return .failed(.refused(error.message))
        }
        var addresses: [OutboundAddress]
        if let literal = target.literalAddress {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolver.resolve(host: target.host)
            } catch {
                return .failed(.connectionFailed((error as? WebhookSendError)?.message ?? "cannot resolve \(target.host): \(error)"))
            }
        }
        do {
            return .addresses(target, try addressGuard.check(resolved: addresses, for: target))
        } catch {
            return .failed(.refused(error.message))
        }
    }

    /// POSTs `body` (JSON unless a content-type header says otherwise) to `url`. Never throws:
    /// every way it can end is an outcome.
    public func post(url: String, headers: [(name: String, value: String)], body: [UInt8], timeout: Duration) async -> WebhookAttemptOutcome {
        let target: AddressGuardTarget, addresses: [OutboundAddress]
        switch await self.addresses(for: url) {
        case .addresses(let checked, let found): (target, addresses) = (checked, found)
        case .failed(let outcome): return outcome
        }
        var lastError = "no address to connect to"
        // Further addresses are tried only when connecting failed, i.e. nothing was sent yet;
        // two at most, so one attempt stays near one timeout.
        for address in addresses.prefix(2) {
            do {
                let code = try await client.post(to: target, at: address, headers: headers, body: body, timeout: timeout)
                return .response(statusCode: code)
            } catch let error as WebhookSendError {
                switch error.stage {
                case .timeout: return .timedOut
                case .connect, .resolve: lastError = error.message
                case .exchange: return .connectionFailed(error.message)
                }
            } catch {
                return .connectionFailed("\(error)")
            }
        }
        return .connectionFailed(lastError)
    }
}
