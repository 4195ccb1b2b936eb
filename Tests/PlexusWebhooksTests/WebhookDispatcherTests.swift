import NIOHTTP1
import NIOSSL
import PlexusCore
import PlexusWebhooks
import Testing

/// The dispatcher against a real HTTP receiver on 127.0.0.1 (allowlisted: the guard refuses
/// loopback otherwise, as the last test shows).
@Suite(.serialized)
struct WebhookDispatcherTests {
    static let current: WebhookSecret = {
        var rng = SplitMix64(seed: 2024)
        return WebhookSecret.generate(using: &rng)
    }()
    static let previous = try! WebhookSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    /// Short backoff so retries come within milliseconds; many attempts so none run out.
    static func configuration(path: String, allowlist: AddressGuardAllowlist, concurrency: Int = 8) -> WebhookDispatcher.Configuration {
        WebhookDispatcher.Configuration(
            databasePath: path,
            retry: WebhookRetrySchedule(baseDelay: .milliseconds(20), maxDelay: .milliseconds(100), maxAttempts: 1000, maxAge: nil),
            maxConcurrentDeliveries: concurrency,
            requestTimeout: .seconds(5),
            addressGuard: AddressGuard(allowlist: allowlist),
            idleWait: .milliseconds(500)
        )
    }

    static let loopbackAllowed = AddressGuardAllowlist(ranges: [try! OutboundAddressRange(parsing: "127.0.0.0/8")])

    static func event(_ id: String, kind: String = "policy.denied", topic: String? = "orders.eu.created") -> WebhookEvent {
        WebhookEvent(
            id: id, kind: kind, topic: topic, timestamp: Timestamp(microseconds: 1_764_500_000_123_456),
            payload: .object(["rule": .string("no-pii"), "message_uuid": .string("0193a5c2-0000-7000-8000-000000000001")])
        )
    }

    @Test func retriesUntilTheReceiverAcceptsAndSignsEveryAttempt() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        // The receiver still knows only the previous secret: rotation must keep it working.
        let receiver = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.previous])) { index in
            .init(status: index < 2 ? 500 : 200)
        }
        // A name that resolves to the receiver, allowlisted by name: the connection goes to the
        // checked address while Host still names the URL's host.
        let host = "hooks.example.test"
        let dispatcher = try await WebhookDispatcher.open(
            configuration: Self.configuration(path: path, allowlist: AddressGuardAllowlist(hosts: [host])),
            seed: 7, resolver: FixedResolver(table: [host: [OutboundAddress("127.0.0.1")!]])
        )
        try await dispatcher.update(endpoints: [WebhookEndpoint(
            id: "ops", url: "http://\(host):\(receiver.port)/hooks?src=plexus", events: ["policy.denied"],
            topics: ["orders.>"], secrets: [Self.current, Self.previous]
        )])

        let record = try await whileRunning(dispatcher) {
            let ids = try await dispatcher.publish(Self.event("evt_retry"))
            #expect(ids.count == 1)
            var last: WebhookDeliveryRecord?
            try await eventually("the delivery to succeed") {
                last = try await dispatcher.deliveries(endpointID: "ops").first
                return last?.status == .succeeded
            }
            return last
        }
        await dispatcher.close()
        try await receiver.stop()

        let delivery = try #require(record)
        #expect(delivery.eventID == "evt_retry")
        #expect(delivery.eventKind == "policy.denied")
        #expect(delivery.attempts.map(\.number) == [1, 2, 3])
        #expect(delivery.attempts.map(\.statusCode) == [500, 500, 200])
        #expect(delivery.attempts.allSatisfy { $0.error == nil })
        #expect(delivery.nextAttemptAt == nil)

        let requests = receiver.requests
        #expect(requests.count == 3)
        for request in requests {
            #expect(request.verificationError == nil, "\(String(describing: request.verificationError))")
            #expect(request.uri == "/hooks?src=plexus")
            #expect(request.headers.first(name: "host") == "\(host):\(receiver.port)")
            #expect(request.headers.first(name: "content-type") == "application/json")
            #expect(request.headers.first(name: "webhook-id") == "evt_retry")
            #expect(request.headers.first(name: "webhook-signature")?.split(separator: " ").count == 2)
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(body == #"{"type":"policy.denied","timestamp":"2025-11-30T10:53:20.123456Z","data":{"rule":"no-pii","message_uuid":"0193a5c2-0000-7000-8000-000000000001"}}"#)
        }
    }

    @Test func goneDisablesTheEndpointAndStopsItsDeliveries() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        let receiver = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 410) }
        let endpoint = WebhookEndpoint(id: "gone", url: "http://127.0.0.1:\(receiver.port)/h", secrets: [Self.current])
        let configuration = Self.configuration(path: path, allowlist: Self.loopbackAllowed, concurrency: 1)
        let dispatcher = try await WebhookDispatcher.open(configuration: configuration, seed: 1)
        try await dispatcher.update(endpoints: [endpoint])
        // Both queued before the loop starts; one at a time, so the second is still pending
        // when the first comes back 410.
        #expect(try await dispatcher.publish(Self.event("evt_1")).count == 1)
        #expect(try await dispatcher.publish(Self.event("evt_2")).count == 1)

        try await whileRunning(dispatcher) {
            try await eventually("the endpoint to be disabled") {
                await dispatcher.disabledEndpoints.contains("gone")
            }
        }
        let log = try await dispatcher.deliveries(endpointID: "gone")
        #expect(log.map(\.eventID) == ["evt_2", "evt_1"])
        #expect(log.map(\.status) == [.gone, .gone])
        #expect(log[1].attempts.map(\.statusCode) == [410])
        #expect(log[0].attempts.isEmpty)
        // Later events are not even queued.
        #expect(try await dispatcher.publish(Self.event("evt_3")).isEmpty)
        await dispatcher.close()
        #expect(receiver.requests.count == 1)

        // The disabled flag is on disk.
        let reopened = try await WebhookDispatcher.open(configuration: configuration, seed: 2)
        try await reopened.update(endpoints: [endpoint])
        #expect(await reopened.disabledEndpoints == ["gone"])
        #expect(try await reopened.publish(Self.event("evt_4")).isEmpty)
        await reopened.close()
        try await receiver.stop()
    }

    @Test func redirectsAreNotFollowedAndCountAsFailures() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        let receiver = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.current])) { _ in
            .init(status: 302, location: "http://127.0.0.1:1/elsewhere")
        }
        let dispatcher = try await WebhookDispatcher.open(configuration: Self.configuration(path: path, allowlist: Self.loopbackAllowed), seed: 3)
        try await dispatcher.update(endpoints: [
            WebhookEndpoint(id: "moved", url: "http://127.0.0.1:\(receiver.port)/old", secrets: [Self.current]),
        ])
        let delivery = try await whileRunning(dispatcher) {
            try await dispatcher.publish(Self.event("evt_redirect"))
            var last: WebhookDeliveryRecord?
            try await eventually("the delivery to fail") {
                last = try await dispatcher.deliveries(endpointID: "moved").first
                return last?.status == .failed
            }
            return try #require(last)
        }
        await dispatcher.close()
        try await receiver.stop()
        #expect(delivery.attempts.map(\.statusCode) == [302])
        #expect(delivery.failureReason?.contains("redirects are not followed") == true)
        #expect(receiver.requests.map(\.uri) == ["/old"])
        // The receiver's body was never read into the log.
        #expect(!(delivery.failureReason ?? "").contains("INTERNAL-ONLY"))
        #expect(delivery.attempts.allSatisfy { ($0.error ?? "").isEmpty })
    }

    @Test func deliveriesSurviveARestart() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        // Take a free port, then free it again: the receiver is down for the first dispatcher.
        let placeholder = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 200) }
        let port = placeholder.port
        try await placeholder.stop()
        let endpoint = WebhookEndpoint(id: "later", url: "http://127.0.0.1:\(port)/in", secrets: [Self.current])
        let configuration = Self.configuration(path: path, allowlist: Self.loopbackAllowed)

        let first = try await WebhookDispatcher.open(configuration: configuration, seed: 4)
        try await first.update(endpoints: [endpoint])
        try await whileRunning(first) {
            #expect(try await first.publish(Self.event("evt_persist")).count == 1)
            try await eventually("a refused connection to be logged") {
                let attempts = try await first.deliveries(endpointID: "later").first?.attempts ?? []
                return !attempts.isEmpty
            }
        }
        let before = try #require(try await first.deliveries(endpointID: "later").first)
        #expect(before.status == .pending)
        #expect(before.attempts.first?.statusCode == nil)
        #expect(before.attempts.first?.error?.contains("connecting to 127.0.0.1 port \(port) failed") == true)
        await first.close()

        let receiver = try await WebhookTestReceiver.start(port: port, verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 204) }
        let second = try await WebhookDispatcher.open(configuration: configuration, seed: 5)
        try await second.update(endpoints: [endpoint])
        let after = try await whileRunning(second) {
            var last: WebhookDeliveryRecord?
            try await eventually("the delivery to arrive after the restart") {
                last = try await second.deliveries(endpointID: "later").first
                return last?.status == .succeeded
            }
            return try #require(last)
        }
        await second.close()
        try await receiver.stop()
        #expect(after.id == before.id)
        #expect(after.attempts.last?.statusCode == 204)
        #expect(receiver.requests.count == 1)
        #expect(receiver.requests.first?.headers.first(name: "webhook-id") == "evt_persist")
        #expect(receiver.requests.first?.verificationError == nil)
    }

    @Test func aNameResolvingToLoopbackIsRefusedAtSend() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        let receiver = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 200) }
        let host = "rebind.example.test"
        let dispatcher = try await WebhookDispatcher.open(
            configuration: Self.configuration(path: path, allowlist: AddressGuardAllowlist()),
            seed: 6, resolver: FixedResolver(table: [host: [OutboundAddress("127.0.0.1")!]])
        )
        // At create time a loopback literal is refused outright...
        await #expect(throws: PlexusError.self) {
            try await dispatcher.update(endpoints: [
                WebhookEndpoint(id: "literal", url: "http://127.0.0.1:\(receiver.port)/", secrets: [Self.current]),
            ])
        }
        // ...while a name passes, and is caught once it resolves.
        try await dispatcher.update(endpoints: [
            WebhookEndpoint(id: "rebind", url: "http://\(host):\(receiver.port)/", secrets: [Self.current]),
        ])
        let delivery = try await whileRunning(dispatcher) {
            try await dispatcher.publish(Self.event("evt_ssrf"))
            var last: WebhookDeliveryRecord?
            try await eventually("the delivery to be refused") {
                last = try await dispatcher.deliveries(endpointID: "rebind").first
                return last?.status == .failed
            }
            return try #require(last)
        }
        await dispatcher.close()
        try await receiver.stop()
        #expect(delivery.attempts.count == 1)
        #expect(delivery.attempts.first?.statusCode == nil)
        #expect(delivery.attempts.first?.error == "refused: rebind.example.test resolves to 127.0.0.1, which is a loopback address")
        #expect(delivery.failureReason == "rebind.example.test resolves to 127.0.0.1, which is a loopback address")
        #expect(receiver.requests.isEmpty)
    }

    @Test func aSilentReceiverTimesOutAndTheDeliveryGivesUpAfterItsAttempts() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        let receiver = try await WebhookTestReceiver.start(verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 0) }
        var configuration = Self.configuration(path: path, allowlist: Self.loopbackAllowed)
        configuration.requestTimeout = .milliseconds(200)
        configuration.retry.maxAttempts = 2
        let dispatcher = try await WebhookDispatcher.open(configuration: configuration, seed: 8)
        try await dispatcher.update(endpoints: [
            WebhookEndpoint(id: "silent", url: "http://127.0.0.1:\(receiver.port)/", secrets: [Self.current]),
        ])
        let delivery = try await whileRunning(dispatcher) {
            try await dispatcher.publish(Self.event("evt_silent"))
            var last: WebhookDeliveryRecord?
            try await eventually("the delivery to give up") {
                last = try await dispatcher.deliveries(endpointID: "silent").first
                return last?.status == .failed
            }
            return try #require(last)
        }
        await dispatcher.close()
        try await receiver.stop()
        #expect(delivery.attempts.map(\.error) == ["timed out", "timed out"])
        #expect(delivery.failureReason == "gave up after 2 attempts; the last: timed out")
        #expect(receiver.requests.count == 2)
    }

    @Test func httpsVerifiesTheURLHostAgainstTheCertificateWhileConnectingToTheCheckedAddress() async throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(at: path) }
        let certificate = try NIOSSLCertificate(bytes: Array(WebhookTestCertificates.serverPEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(WebhookTestCertificates.serverKeyPEM.utf8), format: .pem)
        let serverTLS = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(certificate)], privateKey: .privateKey(key)
        ))
        let receiver = try await WebhookTestReceiver.start(tls: serverTLS, verifier: WebhookVerifier(secrets: [Self.current])) { _ in .init(status: 200) }
        // The certificate names hooks.example.test only; both names resolve to the receiver.
        let good = "hooks.example.test", wrong = "wrong.example.test"
        let loopback = [OutboundAddress("127.0.0.1")!]
        var configuration = Self.configuration(path: path, allowlist: AddressGuardAllowlist(hosts: [good, wrong]))
        configuration.extraTrustRoots = [try NIOSSLCertificate(bytes: Array(WebhookTestCertificates.caPEM.utf8), format: .pem)]
        let dispatcher = try await WebhookDispatcher.open(
            configuration: configuration, seed: 9, resolver: FixedResolver(table: [good: loopback, wrong: loopback])
        )
        try await dispatcher.update(endpoints: [
            WebhookEndpoint(id: "tls-good", url: "https://\(good):\(receiver.port)/in", secrets: [Self.current]),
            WebhookEndpoint(id: "tls-wrong", url: "https://\(wrong):\(receiver.port)/in", secrets: [Self.current]),
        ])
        let (delivered, refused) = try await whileRunning(dispatcher) {
            #expect(try await dispatcher.publish(Self.event("evt_tls")).count == 2)
            var delivered: WebhookDeliveryRecord?
            var refused: WebhookDeliveryRecord?
            try await eventually("the good name to be delivered and the wrong one to fail verification") {
                delivered = try await dispatcher.deliveries(endpointID: "tls-good").first
                refused = try await dispatcher.deliveries(endpointID: "tls-wrong").first
                return delivered?.status == .succeeded && (refused?.attempts.isEmpty == false)
            }
            return (try #require(delivered), try #require(refused))
        }
        await dispatcher.close()
        try await receiver.stop()
        #expect(delivered.attempts.map(\.statusCode) == [200])
        #expect(refused.status == .pending)
        #expect(refused.attempts.first?.statusCode == nil)
        let error = refused.attempts.first?.error ?? ""
        #expect(error.localizedCaseInsensitiveContains("hostname") || error.localizedCaseInsensitiveContains("certificate"), "\(error)")
        #expect(receiver.requests.count == 1)
        #expect(receiver.requests.first?.headers.first(name: "host") == "\(good):\(receiver.port)")
        #expect(receiver.requests.first?.verificationError == nil)
    }
}
