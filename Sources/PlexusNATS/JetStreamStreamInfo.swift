/// How a JetStream stream is configured and what it holds (from STREAM.CREATE or STREAM.INFO).
public struct JetStreamStreamInfo: Sendable, Hashable, Decodable {
    public struct Config: Sendable, Hashable, Decodable {
        public var name: String
        public var subjects: [String]
        public var storage: JetStreamStorage

        enum CodingKeys: String, CodingKey { case name, subjects, storage }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            subjects = try c.decodeIfPresent([String].self, forKey: .subjects) ?? []
            storage = try c.decodeIfPresent(JetStreamStorage.self, forKey: .storage) ?? .file
        }
    }

    public struct State: Sendable, Hashable, Decodable {
        public var messages: UInt64
        public var bytes: UInt64
        public var firstSequence: UInt64
        public var lastSequence: UInt64

        enum CodingKeys: String, CodingKey {
            case messages, bytes, firstSequence = "first_seq", lastSequence = "last_seq"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            messages = try c.decodeIfPresent(UInt64.self, forKey: .messages) ?? 0
            bytes = try c.decodeIfPresent(UInt64.self, forKey: .bytes) ?? 0
            firstSequence = try c.decodeIfPresent(UInt64.self, forKey: .firstSequence) ?? 0
            lastSequence = try c.decodeIfPresent(UInt64.self, forKey: .lastSequence) ?? 0
        }
    }

    public var config: Config
    public var state: State
}

/// Where a stream keeps its messages. `file` survives a server restart.
public enum JetStreamStorage: String, Sendable, Hashable, Codable {
    case file, memory
}
