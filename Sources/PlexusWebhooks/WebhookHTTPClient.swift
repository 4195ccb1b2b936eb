import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PlexusCore

/// A deliberately tiny HTTP/1.1 client: one POST per connection to an address the caller already
/// checked, returning only the status code.
///
/// Why not a general HTTP client: it would resolve the host again itself (so the address the
/// guard checked is not necessarily the one it connects to: DNS rebinding), it may follow
/// redirects, and it reads bodies. Here the caller names the address, the original host goes
/// into the Host header and, for https, into SNI and certificate verification, and the response
/// stops at its head.
struct WebhookHTTPClient: Sendable {
    let group: any EventLoopGroup
    let tlsContext: NIOSSLContext
    let userAgent: String

    /// `extraTrustRoots` are added to the system's (a private CA for receivers inside a company,
    /// or a test CA).
    init(group: any EventLoopGroup, extraTrustRoots: [NIOSSLCertificate], userAgent: String) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if !extraTrustRoots.isEmpty {
            tls.additionalTrustRoots = [.certificates(extraTrustRoots)]
        }
        self.tlsContext = try NIOSSLContext(configuration: tls)
        self.group = group
        self.userAgent = userAgent
    }

    /// POSTs `body` to `target` over a connection to `address`; returns the response status.
    /// Throws `WebhookSendError` for everything that is not a status.
    func post(
        to target: AddressGuardTarget, at address: OutboundAddress, headers extra: [(name: String, value: String)],
        body: [UInt8], timeout: Duration
    ) async throws -> Int {
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(packedIPAddress: ByteBuffer(bytes: address.bytes), port: target.port)
        } catch {
            throw WebhookSendError(.connect, "cannot make a socket address of \(address): \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "host", value: target.hostHeader)
        headers.add(name: "user-agent", value: userAgent)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.count))
        headers.add(name: "connection", value: "close")
        for (name, value) in extra { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.requestTarget, headers: headers)

        let loop = group.next()
        let promise = loop.makePromise(of: Int.self)
        let amount = TimeAmount(timeout)
        let tlsContext = target.scheme == .https ? self.tlsContext : nil
        // SNI and certificate name: the URL's host. An IP literal has no name to send; the
        // certificate is then checked against the address.
        let serverName = target.literalAddress == nil ? target.host : nil
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(amount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(WebhookExchangeHandler(
                        head: head, body: ByteBuffer(bytes: body), promise: promise, timeout: amount
                    ))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: socketAddress).get()
        } catch {
            let reason = (error as? ChannelError) == .connectTimeout(amount)
                ? WebhookSendError(.timeout, "connecting to \(address) port \(target.port) timed out")
                : WebhookSendError(.connect, "connecting to \(address) port \(target.port) failed: \(WebhookExchangeHandler.describe(error))")
            // The handler fails the promise too when the channel goes away; only its deadline
            // (which closes the channel mid-connect) says more than the connect error does.
            promise.fail(reason)
            do {
                _ = try await promise.futureResult.get()
            } catch let error as WebhookSendError where error.stage == .timeout {
                throw error
            } catch {}
            throw reason
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
