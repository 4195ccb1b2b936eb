import Crypto
import Foundation

/// The single-use capability in a prompt's `response_url` and inbox link.
///
/// A token is an HMAC of the session id and the round under the node's session key: it cannot be
/// guessed from the session id, it names one round (a re-prompt issues a new one, so an answer to
/// an old prompt cannot land on a new round), and the node records every token it has honoured,
/// so a replayed callback takes effect at most once. The key is the node's, so a token is
/// accepted only by the node that issued it, which is the node holding the session.
public struct SessionToken: Sendable, Hashable {
    let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    public static func == (a: SessionToken, b: SessionToken) -> Bool {
        a.key.withUnsafeBytes { x in b.key.withUnsafeBytes { y in Array(x) == Array(y) } }
    }

    public func hash(into hasher: inout Hasher) {}

    /// The token for `round` of `sessionID`: 128 bits, base64url without padding. `createdAt`
    /// (the session's creation time) tells apart two sessions that had the same id one after the
    /// other: a link of a deleted session never answers its successor.
    public func token(sessionID: String, round: Int, createdAt: Timestamp? = nil) -> String {
        let input = "\(sessionID)|\(round)|\(createdAt?.microseconds ?? 0)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: key)
        return Data(Array(mac).prefix(16)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether `token` is the one for `round` of `sessionID` (compared in constant time).
    public func verify(_ token: String, sessionID: String, round: Int, createdAt: Timestamp? = nil) -> Bool {
        let expected = Array(self.token(sessionID: sessionID, round: round, createdAt: createdAt).utf8)
        let given = Array(token.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }
}
