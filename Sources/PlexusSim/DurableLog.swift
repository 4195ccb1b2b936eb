import PlexusCore

/// What a simulated node keeps on disk: it survives a crash, unlike the node's mesh and routing
/// cores. The message log (each id with the role it was logged in, and which ids were delivered
/// here — the real log's unique `message_uuid`) and the outbox the routing core's held messages
/// are rebuilt from on restart.
struct DurableLog {
    struct OutboxEntry {
        /// Order of first logging: the outbox is read back oldest first.
        var sequence: UInt64
        var payload: [UInt8]
        var hopCount: UInt8
        var targets: [RouteTarget]
    }

    private(set) var roles: [MessageID: LogRole] = [:]
    private(set) var delivered: Set<MessageID> = []
    private(set) var outbox: [MessageID: OutboxEntry] = [:]
    private var nextSequence: UInt64 = 0

    /// Logs `id` (the first role sticks, except that a relay that turns out to be a destination
    /// too is logged as one) and adds `targets` to its outbox row.
    mutating func log(_ id: MessageID, role: LogRole, payload: [UInt8], hopCount: UInt8, targets: [RouteTarget]) {
        if let old = roles[id] {
            if old == .relay && role == .destination { roles[id] = .destination }
        } else {
            roles[id] = role
        }
        guard !targets.isEmpty else { return }
        if var entry = outbox[id] {
            for t in targets where !entry.targets.contains(t) { entry.targets.append(t) }
            outbox[id] = entry
        } else {
            nextSequence += 1
            outbox[id] = OutboxEntry(sequence: nextSequence, payload: payload, hopCount: hopCount, targets: targets)
        }
    }

    /// Records a delivery to local recipients; false when this id was delivered here before
    /// (the log's unique key refuses the second one).
    mutating func deliver(_ id: MessageID) -> Bool {
        delivered.insert(id).inserted
    }

    mutating func release(_ id: MessageID) {
        outbox[id] = nil
    }

    /// The outbox, oldest first, as read back on restart.
    var outboxInOrder: [(id: MessageID, entry: OutboxEntry)] {
        outbox.map { ($0.key, $0.value) }.sorted { $0.entry.sequence < $1.entry.sequence }
    }
}

/// An accepted message on its way to the durable log (the fsync in progress): lost if the node
/// crashes first, so nothing has been acknowledged for it yet.
struct PendingWrite {
    var role: LogRole
    var payload: [UInt8]
    var hopCount: UInt8
    var targets: [RouteTarget]
}
