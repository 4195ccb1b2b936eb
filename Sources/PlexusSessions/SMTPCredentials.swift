/// A username and password for AUTH PLAIN.
///
/// Without STARTTLS (not supported yet) these cross the network in base64, which is plain
/// text: only give them for a relay on a network the operator trusts (localhost, a private
/// link). `description` never shows the password.
public struct SMTPCredentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "SMTPCredentials(username: \(username), password: ***)" }
}
