import Crypto

/// Slack's request signing (version `v0`): `X-Slack-Signature` is `v0=` and the lowercase hex
/// HMAC-SHA256, keyed with the app's signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`.
///
/// The interactivity endpoint is public, so a callback counts only when its signature matches
/// and its timestamp is recent: a captured request replayed later is refused by the window.
public struct SlackSignature {
    /// How far, in seconds, the timestamp may be from `now` either way (Slack's advice: 5 minutes).
    public static let defaultWindow: Int64 = 300

    /// The `X-Slack-Signature` value Slack would send; for tests and for signing test requests.
    public static func sign(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        "v0=" + Hex.encode(mac(secret: secret, timestamp: timestamp, body: body))
    }

    /// Headers as received (either may be missing) and the body exactly as read, before any
    /// decoding; throws the first reason to refuse.
    public static func verify(
        secret: String, timestampHeader: String?, signatureHeader: String?, body: [UInt8], now: Timestamp,
        window: Int64 = defaultWindow
    ) throws(SlackSignatureError) {
        guard let timestampHeader else {
            throw SlackSignatureError(.missingTimestamp, "the X-Slack-Request-Timestamp header is missing")
        }
        guard let signatureHeader else {
            throw SlackSignatureError(.missingSignature, "the X-Slack-Signature header is missing")
        }
        let digits = timestampHeader.utf8
        guard (1...12).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let timestamp = Int64(timestampHeader)
        else {
            throw SlackSignatureError(
                .invalidTimestamp, "X-Slack-Request-Timestamp \"\(timestampHeader.prefix(20))\" is not unix seconds")
        }
        let nowSeconds = now.microseconds.floorDivided(by: 1_000_000)
        if timestamp < nowSeconds - window {
            throw SlackSignatureError(
                .staleTimestamp, "X-Slack-Request-Timestamp is \(nowSeconds - timestamp) s old; at most \(window) s is accepted")
        }
        if timestamp > nowSeconds + window {
            throw SlackSignatureError(
                .futureTimestamp,
                "X-Slack-Request-Timestamp is \(timestamp - nowSeconds) s in the future; at most \(window) s is accepted")
        }
        guard signatureHeader.hasPrefix("v0="), let given = Hex.decode(signatureHeader.dropFirst(3)), given.count == 32 else {
            throw SlackSignatureError(.badSignature, "X-Slack-Signature is not \"v0=\" followed by 64 hex digits")
        }
        var message = Array("v0:\(timestamp):".utf8)
        message.append(contentsOf: body)
        // Constant time: a check that stops at the first differing byte would tell a forger how
        // much of a guessed signature was right.
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: key(secret)) else {
            throw SlackSignatureError(.badSignature, "X-Slack-Signature does not match the body and timestamp")
        }
    }

    static func mac(secret: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key(secret))
        hmac.update(data: Array("v0:\(timestamp):".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }

    private static func key(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: Array(secret.utf8))
    }
}
