import Foundation

/// A webhook signing key in the Standard Webhooks form `whsec_<base64>`.
///
/// Endpoints hold a list of these so a secret can be rotated without a gap: the new one goes
/// first, the old one stays until receivers have switched, and each request carries a signature
/// by both. `description` never shows the key, so a secret printed into a log by mistake leaks
/// nothing.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    /// The raw HMAC key (the base64 part decoded).
    public let key: [UInt8]

    public static let prefix = "whsec_"
    /// Standard Webhooks asks for 24 to 64 bytes; fewer is too guessable.
    public static let keyLengths = 24...64

    /// Parses `whsec_<base64>`, refusing anything else with a message that says what is wrong
    /// (never the secret itself).
    public init(parsing text: String) throws(PlexusError) {
        guard text.hasPrefix(Self.prefix) else {
            throw PlexusError(.invalidField, "a webhook secret must start with \"\(Self.prefix)\" followed by base64 (Standard Webhooks format)")
        }
        let encoded = text.dropFirst(Self.prefix.count)
        guard let data = Data(base64Encoded: String(encoded)) else {
            throw PlexusError(.invalidField, "the part of the webhook secret after \"\(Self.prefix)\" is not valid base64")
        }
        try self.init(key: Array(data))
    }

    public init(key: [UInt8]) throws(PlexusError) {
        guard Self.keyLengths.contains(key.count) else {
            throw PlexusError(.invalidField, "a webhook secret must decode to \(Self.keyLengths.lowerBound) to \(Self.keyLengths.upperBound) bytes, not \(key.count)")
        }
        self.key = key
    }

    /// A new random secret. The caller passes the generator: a node passes the system's CSPRNG
    /// (`SystemRandomNumberGenerator`), a test a seeded one.
    public static func generate(byteCount: Int = 32, using rng: inout some RandomNumberGenerator) -> WebhookSecret {
        let count = min(max(byteCount, keyLengths.lowerBound), keyLengths.upperBound)
        var key: [UInt8] = []
        key.reserveCapacity(count)
        while key.count < count {
            var word = rng.next()
            for _ in 0..<8 where key.count < count {
                key.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        // The length is within keyLengths by construction.
        return try! WebhookSecret(key: key)
    }

    /// The `whsec_…` text to show once to the operator or write to configuration.
    public var encoded: String { Self.prefix + Data(key).base64EncodedString() }

    public var description: String { "whsec_…(\(key.count) bytes, redacted)" }
}
