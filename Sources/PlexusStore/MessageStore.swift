import PlexusCore

/// The node's durable message log. SQLite is the default; PostgreSQL follows behind the same
/// protocol.
///
/// The promise every implementation keeps: when `append` returns, the records are committed
/// durably, so the caller may acknowledge them to their source. Appends from many callers are
/// group-committed together, so the cost of a commit is shared.
public protocol MessageStore: Sendable {
    /// Durably appends the records, in order. A record whose `message_uuid` is already in the log
    /// (or earlier in the same call) is not stored again and comes back as `.duplicate`.
    func append(_ records: [LogRecord]) async throws -> [AppendOutcome]

    /// One logged message by id, or nil.
    func message(id: MessageID) async throws -> StoredMessage?

    /// A page of messages, newest first, with the cursor for the next page.
    func query(_ query: MessageQuery) async throws -> MessagePage

    /// How many messages are in the log.
    func count() async throws -> Int

    /// Waits for pending appends to commit, then closes. Appends after close fail with `.closed`.
    func close() async throws
}

/// Why a node logged a message. Every node that relays or delivers a message logs it, with its role.
public enum LogRole: String, Sendable, Hashable, CaseIterable {
    case origin, relay, destination
}

/// What goes into the log: the envelope and its wire JSON, serialised once here and served as is
/// by every read.
public struct LogRecord: Sendable, Hashable {
    public var envelope: Envelope
    public var json: [UInt8]
    public var role: LogRole

    public init(envelope: Envelope, role: LogRole = .origin) {
        self.envelope = envelope
        self.json = envelope.json.serialized()
        self.role = role
    }
}

public enum AppendOutcome: Sendable, Hashable {
    /// Newly logged at this log sequence number.
    case stored(seq: Int64)
    /// Already in the log; nothing written.
    case duplicate
}

/// A message read back from the log.
public struct StoredMessage: Sendable, Hashable {
    public var seq: Int64
    public var messageID: MessageID
    public var originTS: Timestamp
    public var role: LogRole
    /// The envelope's wire JSON, exactly as logged.
    public var json: [UInt8]

    public init(seq: Int64, messageID: MessageID, originTS: Timestamp, role: LogRole, json: [UInt8]) {
        self.seq = seq
        self.messageID = messageID
        self.originTS = originTS
        self.role = role
        self.json = json
    }
}

public struct MessagePage: Sendable, Hashable {
    public var messages: [StoredMessage]
    /// Where the next page starts, or nil when this was the last one.
    public var nextCursor: QueryCursor?

    public init(messages: [StoredMessage], nextCursor: QueryCursor?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }
}

/// A failure of the store, for the shell to map (usually to 503: the input was fine).
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case closed, ioFailure = "io-failure", corrupt, migrationFailed = "migration-failed"
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "store \(code.rawValue): \(message)" }
}
