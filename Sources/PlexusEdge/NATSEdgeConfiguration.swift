import PlexusCore
import PlexusNATS

/// The node's local NATS: subjects it takes messages from, and the egress of delivered messages
/// to subject = topic, optionally through JetStream (docs/edges.md).
public struct NATSEdgeConfiguration: Sendable, Hashable {
    public struct JetStream: Sendable, Hashable {
        /// The stream that takes the egress; created at start (subjects = `egress.topics`) if
        /// it does not exist.
        public var stream: String
        public var createStream = true
        /// Publishes awaiting their acknowledgement at once.
        public var inFlight = 256
        public init(stream: String) { self.stream = stream }
    }

    public struct Egress: Sendable, Hashable {
        public var enabled = true
        /// Topics published out; `>` is every delivered message.
        public var topics: [TopicPattern] = [try! TopicPattern(">")]
        /// With a stream: every publish waits for JetStream's acknowledgement before the egress
        /// moves on, and carries `Nats-Msg-Id` = `message_uuid` for the server's de-duplication.
        public var jetStream: JetStream?
        public init() {}

        public func matches(_ topic: String) -> Bool { topics.contains { $0.matches(topic) } }
    }

    /// `nats://[user:password@]host[:port]` or `tls://...`; several for a cluster.
    public var servers: [String]
    public var user: String?
    public var password: String?
    public var token: String?
    /// Subjects clients publish messages on (the original's `MESSAGES`).
    public var subjects: [String] = ["MESSAGES"]
    /// Set: the nodes of a cluster share the subjects' messages (each message to one node).
    public var queueGroup: String?
    /// Most messages logged in one append.
    public var batch = 1_000
    public var egress = Egress()

    public init(servers: [String]) {
        self.servers = servers
    }

    public func validate() throws(EdgeError) {
        if servers.isEmpty { throw EdgeError(.configuration, "edges.nats.servers: give at least one nats:// URL") }
        for server in servers {
            do throws(NATSClientError) { _ = try NATSClient.Configuration(url: server) } catch {
                throw EdgeError(.configuration, "edges.nats.servers: \(error.message)")
            }
        }
        do throws(NATSClientError) {
            for subject in subjects { try NATSValidation.validateSubscribeSubject(subject) }
        } catch {
            throw EdgeError(.configuration, "edges.nats.subjects: \(error.message)")
        }
        if let queueGroup {
            do throws(NATSClientError) { try NATSValidation.validateQueueGroup(queueGroup) } catch {
                throw EdgeError(.configuration, "edges.nats.queue_group: \(error.message)")
            }
        }
        if !(1...10_000).contains(batch) { throw EdgeError(.configuration, "edges.nats.batch must be 1...10000, got \(batch)") }
        if let js = egress.jetStream {
            if js.stream.isEmpty || js.stream.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: ">") }) {
                throw EdgeError(.configuration, "edges.nats.egress.jetstream.stream: \"\(js.stream)\" is not a valid stream name (no spaces, '.', '*' or '>')")
            }
            // A stream cannot take every subject: it would swallow JetStream's own API.
            if egress.topics.contains(where: { $0.value == ">" }) {
                throw EdgeError(.configuration, "edges.nats.egress.topics: a JetStream egress needs topic patterns narrower than '>' (e.g. 'agents.>')")
            }
            if !(1...10_000).contains(js.inFlight) { throw EdgeError(.configuration, "edges.nats.egress.jetstream.in_flight must be 1...10000") }
        }
    }
}
