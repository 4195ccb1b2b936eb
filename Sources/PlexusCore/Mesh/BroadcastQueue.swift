/// Broadcasts waiting to be gossiped, each sent a bounded number of times (memberlist's
/// TransmitLimitedQueue). A newer broadcast about the same member or entry replaces the older one.
struct BroadcastQueue: Sendable {
    private struct Item: Sendable {
        var gossip: GossipItem
        var size: Int
        var transmits: Int
        var order: UInt64
    }

    private var items: [GossipItem.Topic: Item] = [:]
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func enqueue(_ gossip: GossipItem) {
        nextOrder += 1
        items[gossip.topic] = Item(gossip: gossip, size: MeshCodec.size(of: gossip), transmits: 0, order: nextOrder)
    }

    /// Takes broadcasts for one message within `budget` bytes: least-sent first, then newest
    /// first. Each taken broadcast counts one transmission; those reaching `limit` are dropped.
    mutating func take(budget: Int, limit: Int) -> [GossipItem] {
        guard !items.isEmpty else { return [] }
        let ordered = items.values.sorted { ($0.transmits, ~$0.order) < ($1.transmits, ~$1.order) }
        var used = 0
        var out: [GossipItem] = []
        for item in ordered where used + item.size <= budget {
            used += item.size
            out.append(item.gossip)
            let topic = item.gossip.topic
            if item.transmits + 1 >= limit {
                items[topic] = nil
            } else {
                items[topic]?.transmits += 1
            }
        }
        return out
    }

    /// True when some broadcast has not been sent even once (eager forwarding is due).
    var hasFresh: Bool { items.values.contains { $0.transmits == 0 } }
}
