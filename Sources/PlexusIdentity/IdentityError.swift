/// Why an identity operation failed. Identity problems are configuration problems an operator has
/// to fix by hand, so every message names the file or the value that is wrong; `code` lets callers
/// (and tests) tell the cases apart without matching on text.
public struct IdentityError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// An organisation, cluster or node name outside `[A-Za-z0-9][A-Za-z0-9_-]{0,62}`.
        case invalidName
        /// A file to read does not exist, or one that must not be replaced already does.
        case fileMissing
        /// A file is not the PEM it should be (wrong label, bad base64, wrong key type).
        case badPEM
        /// A certificate is malformed or lacks the fields Plexus needs.
        case badCertificate
        /// No trusted CA vouches for the certificate (or it vouches outside its organisation).
        case untrusted
        /// A private key does not belong to the certificate it is paired with.
        case wrongKey
        case notYetValid
        case expired
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
