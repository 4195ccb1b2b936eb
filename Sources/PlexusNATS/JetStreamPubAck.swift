/// JetStream's acknowledgement of a publish: the message is stored in `stream` at `sequence`.
/// `duplicate` means a message with the same `Nats-Msg-Id` was already stored within the
/// stream's duplicate window, so this publish was not stored again — the retry was harmless.
public struct JetStreamPubAck: Sendable, Hashable, Decodable {
    public var stream: String
    public var sequence: UInt64
    public var duplicate: Bool
    public var domain: String?

    public init(stream: String, sequence: UInt64, duplicate: Bool = false, domain: String? = nil) {
        self.stream = stream
        self.sequence = sequence
        self.duplicate = duplicate
        self.domain = domain
    }

    enum CodingKeys: String, CodingKey {
        case stream, sequence = "seq", duplicate, domain
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stream = try c.decode(String.self, forKey: .stream)
        sequence = try c.decode(UInt64.self, forKey: .sequence)
        duplicate = try c.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        domain = try c.decodeIfPresent(String.self, forKey: .domain)
    }
}
