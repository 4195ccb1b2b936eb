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

    /// Logged messages with a sequence number above `sequence`, in log order (oldest first), at
    /// most `limit`. Edge bridges follow the log with it from a cursor they keep, so what they
    /// publish survives their restarts and their servers' outages.
    func messages(after sequence: Int64, limit: Int) async throws -> [StoredMessage]

    /// The highest sequence number in the log, 0 when it is empty.
    func lastSequence() async throws -> Int64

    /// Drops messages from the forwarding outbox (every next hop acknowledged them). Written
    /// with the next commit, or by itself at most 100 ms later, and not awaited: if a crash
    /// loses it the node only sends those messages again, and receivers de-duplicate.
    func release(_ ids: [MessageID])

    /// Records messages the node gave up on, with the reason (written with the next commit).
    func deadLetter(_ letters: [DeadLetter])

    /// What the outbox holds, oldest first (read at start to resume forwarding).
    func outbox() async throws -> [OutboxEntry]

    /// The subjects acknowledged these messages from their inboxes (`LogRecord.inbox`): not
    /// delivered again. Written with the next commit and not awaited: if a crash loses it the
    /// subject gets those messages once more after the restart (at least once, as documented).
    func inboxAcknowledged(_ acks: [InboxAck])

    /// Messages held for subjects homed here and not acknowledged yet, oldest first (read at
    /// start so a session finds them after a restart).
    func inbox() async throws -> [InboxEntry]

    /// The most recent dead letters, newest first.
    func deadLetters(limit: Int) async throws -> [DeadLetter]

    /// Waits for pending appends to commit, then closes. Appends after close fail with `.closed`.
    func close() async throws
}

/// What goes into the log: the envelope and its wire JSON, serialised once here and served as is
/// by every read.
public struct LogRecord: Sendable, Hashable {
    public var envelope: Envelope
    public var json: [UInt8]
    public var role: LogRole
    /// Targets this node takes custody of for forwarding: written to the outbox in the same
    /// transaction as the log row (also when the log already had the message).
    public var outbox: [RouteTarget]
    public var hopCount: UInt8
    /// Subjects homed here that the message is for: it is held in their inboxes until each
    /// acknowledges it (written in the same transaction when the log row is new or becomes a
    /// destination; a message already delivered here is not queued again).
    public var inbox: [String] = []

    public init(envelope: Envelope, role: LogRole = .origin, outbox: [RouteTarget] = [], hopCount: UInt8 = 0) {
        self.init(envelope: envelope, json: envelope.serialized(), role: role, outbox: outbox, hopCount: hopCount)
    }

    /// A record whose wire JSON is already at hand (a relayed envelope's: `RelayedEnvelope`).
    public init(envelope: Envelope, json: [UInt8], role: LogRole, outbox: [RouteTarget] = [], hopCount: UInt8 = 0) {
        self.envelope = envelope
        self.json = json
        self.role = role
        self.outbox = outbox
        self.hopCount = hopCount
    }
}

/// Writes that ride along with a store's next commit, not awaited by anyone: outbox releases,
/// dead letters and inbox acknowledgements.
public struct LogHousekeeping: Sendable {
    public var releases: [MessageID] = []
    public var deadLetters: [DeadLetter] = []
    public var inboxAcks: [InboxAck] = []

    public init() {}

    public var isEmpty: Bool { releases.isEmpty && deadLetters.isEmpty && inboxAcks.isEmpty }

    /// `earlier` goes first (a failed commit's leftovers before what queued since).
    public mutating func prepend(_ earlier: LogHousekeeping) {
        releases = earlier.releases + releases
        deadLetters = earlier.deadLetters + deadLetters
        inboxAcks = earlier.inboxAcks + inboxAcks
    }
}

/// A subject acknowledged a message from its inbox.
public struct InboxAck: Sendable, Hashable {
    public var subject: String
    public var messageID: MessageID

    public init(subject: String, messageID: MessageID) {
        self.subject = subject
        self.messageID = messageID
    }
}

/// A message waiting in a subject's inbox, with its logged wire JSON.
public struct InboxEntry: Sendable, Hashable {
    public var subject: String
    public var messageID: MessageID
    public var json: [UInt8]

    public init(subject: String, messageID: MessageID, json: [UInt8]) {
        self.subject = subject
        self.messageID = messageID
        self.json = json
    }
}

/// A message held for forwarding.
public struct OutboxEntry: Sendable, Hashable {
    public var messageID: MessageID
    public var hopCount: UInt8
    public var targets: [RouteTarget]
    public var json: [UInt8]

    public init(messageID: MessageID, hopCount: UInt8, targets: [RouteTarget], json: [UInt8]) {
        self.messageID = messageID
        self.hopCount = hopCount
        self.targets = targets
        self.json = json
    }
}

/// A message (or some of its targets) the node gave up on, and why.
public struct DeadLetter: Sendable, Hashable {
    public var messageID: MessageID
    public var at: Timestamp
    public var reason: String
    public var targets: [RouteTarget]
    /// The message itself when it was never logged here (refused on arrival).
    public var json: [UInt8]?

    public init(messageID: MessageID, at: Timestamp, reason: String, targets: [RouteTarget], json: [UInt8]? = nil) {
        self.messageID = messageID
        self.at = at
        self.reason = reason
        self.targets = targets
        self.json = json
    }
}

public enum AppendOutcome: Sendable, Hashable {
    /// Newly logged at this log sequence number.
    case stored(seq: Int64)
    /// Already in the log; nothing written.
    case duplicate
    /// Already in the log as passing through (`relay`); now it is for a recipient here too, so
    /// the row became `destination` and the message is to be delivered.
    case promoted
    /// The store cannot hold this record (a value its database refuses, such as U+0000 in
    /// PostgreSQL): it was dead-lettered with the reason, and is not logged, forwarded or
    /// delivered. The other records of the call are unaffected.
    case refused(reason: String)

    /// Whether the record is in the log now because of this call (stored, or promoted).
    public var isNewlyLogged: Bool {
        switch self {
        case .stored, .promoted: true
        case .duplicate, .refused: false
        }
    }
}

/// A message read back from the log.
public struct StoredMessage: Sendable, Hashable {
    public var seq: Int64
    public var messageID: MessageID
    public var originTS: Timestamp
    public var role: LogRole
    /// The envelope's wire JSON, exactly as logged.
    public var json: [UInt8]
    /// The envelope's topic (also in `json`; here so readers need not parse it).
    public var topic: String

    public init(seq: Int64, messageID: MessageID, originTS: Timestamp, role: LogRole, json: [UInt8], topic: String = "") {
        self.seq = seq
        self.messageID = messageID
        self.originTS = originTS
        self.role = role
        self.json = json
        self.topic = topic
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
        /// The store cannot take more right now (its spool is full); retry later.
        case full
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "store \(code.rawValue): \(message)" }
}
