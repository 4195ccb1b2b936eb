import PlexusCore

/// What one node's `GET /v1/routes` says, in the fields the benchmark reports.
struct RoutingNodeCounters: Sendable {
    var nextHops: [String: String] = [:]
    var outbox = 0
    /// `forwarding` counters by name (transmissions, retransmissions, ack_timeouts, …).
    var forwarding: [String: Int] = [:]

    init(_ json: JSONValue) {
        for route in json["routes"]?.arrayValue ?? [] {
            if let destination = route["destination"]?.stringValue, let hop = route["next_hop"]?.stringValue {
                nextHops[destination] = hop
            }
        }
        outbox = Int(json["outbox"]?.integerValue ?? 0)
        for (key, value) in json["forwarding"]?.objectValue ?? [:] {
            forwarding[key] = Int(value.integerValue ?? 0)
        }
    }

    subscript(_ counter: String) -> Int { forwarding[counter] ?? 0 }

    /// The change of every counter since `earlier` (outbox: the value now).
    func since(_ earlier: RoutingNodeCounters) -> RoutingNodeCounters {
        var delta = self
        for (key, value) in forwarding { delta.forwarding[key] = value - (earlier.forwarding[key] ?? 0) }
        return delta
    }

    /// `retransmissions 0, ack_timeouts 0, …` for a note.
    func summary(_ keys: [String] = ["transmissions", "retransmissions", "ack_timeouts", "acks_received", "accepted",
                                     "duplicates", "delivered", "busy", "dead_lettered"]) -> String {
        keys.map { "\($0) \(self[$0])" }.joined(separator: ", ") + ", outbox \(outbox)"
    }
}
