import PlexusCore
import Testing

struct WebhookSignerTests {
    // The Standard Webhooks reference vector.
    static let referenceSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let referenceID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let referenceTimestamp: Int64 = 1_614_265_330
    static let referenceBody = Array(#"{"test": 2432232314}"#.utf8)
    static let referenceSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let referenceNow = Timestamp(microseconds: referenceTimestamp * 1_000_000)

    @Test func matchesTheStandardWebhooksReferenceVector() throws {
        let signer = WebhookSigner(secrets: [try WebhookSecret(parsing: Self.referenceSecret)])
        let headers = signer.headers(id: Self.referenceID, now: Self.referenceNow.adding(microseconds: 999_999), body: Self.referenceBody)
        #expect(headers.id == Self.referenceID)
        #expect(headers.timestamp == Self.referenceTimestamp)
        #expect(headers.signature == Self.referenceSignature)
        #expect(headers.fields.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
    }

    @Test func secretsParseAndRefuseOtherForms() throws {
        let secret = try WebhookSecret(parsing: Self.referenceSecret)
        #expect(secret.key.count == 24)
        #expect(secret.encoded == Self.referenceSecret)
        #expect(!secret.description.contains("MfKQ9r8"))

        for bad in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!notbase64", "whsec_c2hvcnQ=", "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
            #expect(throws: PlexusError.self, "\(bad)") { try WebhookSecret(parsing: bad) }
        }
        do {
            _ = try WebhookSecret(parsing: "sk_live_123")
            Issue.record("accepted a secret without the whsec_ prefix")
        } catch {
            #expect(error.message.contains("whsec_"))
            #expect(error.code == .invalidField)
        }
    }

    @Test func generatedSecretsAreDeterministicPerSeedAndRoundTrip() throws {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7), c = SplitMix64(seed: 8)
        let first = WebhookSecret.generate(using: &a)
        #expect(first == WebhookSecret.generate(using: &b))
        #expect(first != WebhookSecret.generate(using: &c))
        #expect(first.key.count == 32)
        #expect(try WebhookSecret(parsing: first.encoded) == first)
    }

    @Test func rotationSignsWithEverySecretAndTheVerifierAcceptsEither() throws {
        var rng = SplitMix64(seed: 1)
        let current = WebhookSecret.generate(using: &rng)
        let previous = try WebhookSecret(parsing: Self.referenceSecret)
        let signer = WebhookSigner(secrets: [current, previous])
        let headers = signer.headers(id: Self.referenceID, now: Self.referenceNow, body: Self.referenceBody)
        let parts = headers.signature.split(separator: " ")
        #expect(parts.count == 2)
        #expect(parts[1] == Self.referenceSignature[...])

        for secrets in [[current], [previous], [previous, current]] {
            try WebhookVerifier(secrets: secrets).verify(
                id: headers.id, timestamp: String(headers.timestamp), signature: headers.signature,
                body: Self.referenceBody, now: Self.referenceNow
            )
        }
        let stranger = WebhookSecret.generate(using: &rng)
        #expect(throws: WebhookVerificationError.self) {
            try WebhookVerifier(secrets: [stranger]).verify(
                id: headers.id, timestamp: String(headers.timestamp), signature: headers.signature,
                body: Self.referenceBody, now: Self.referenceNow
            )
        }
    }

    @Test func verifierRefusesTamperingStaleTimestampsAndMissingHeaders() throws {
        let secret = try WebhookSecret(parsing: Self.referenceSecret)
        let verifier = WebhookVerifier(secrets: [secret])
        let stamp = String(Self.referenceTimestamp)
        func code(id: String? = Self.referenceID, timestamp: String? = stamp, signature: String? = Self.referenceSignature,
                  body: [UInt8] = Self.referenceBody, now: Timestamp = Self.referenceNow) -> WebhookVerificationError.Code? {
            do {
                try verifier.verify(id: id, timestamp: timestamp, signature: signature, body: body, now: now)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code() == nil)
        #expect(code(now: Self.referenceNow.adding(microseconds: 299_000_000)) == nil)
        #expect(code(body: Array(#"{"test": 2432232315}"#.utf8)) == .noMatchingSignature)
        #expect(code(id: "msg_other") == .noMatchingSignature)
        #expect(code(timestamp: String(Self.referenceTimestamp + 1)) == .noMatchingSignature)
        #expect(code(now: Self.referenceNow.adding(microseconds: 301_000_000)) == .timestampOutOfTolerance)
        #expect(code(now: Self.referenceNow.adding(microseconds: -301_000_000)) == .timestampOutOfTolerance)
        #expect(code(timestamp: "16142653e0") == .invalidTimestamp)
        #expect(code(signature: nil) == .missingHeader)
        #expect(code(signature: "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == .noMatchingSignature)
        // A valid signature among junk still counts, as the scheme allows several.
        #expect(code(signature: "v1,bm9wZQ== garbage " + Self.referenceSignature) == nil)
    }
}
