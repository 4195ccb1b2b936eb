import Collections

/// A bounded memory of recent keys: the oldest is forgotten once `capacity` is exceeded.
/// Re-remembering a key moves nothing (its age is that of its first entry); forgetting one
/// leaves a stale slot that is skipped at eviction (a generation number tells them apart).
struct RecentMemory<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var values: [Key: (value: Value, generation: UInt64)] = [:]
    private var order: Deque<(key: Key, generation: UInt64)> = []
    private var nextGeneration: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { values.count }

    subscript(key: Key) -> Value? {
        get { values[key]?.value }
        set {
            guard let newValue else {
                values[key] = nil
                return
            }
            update(key, default: newValue) { $0 = newValue }
        }
    }

    /// Changes the value remembered for `key` in place, remembering `default` first if there is
    /// none: one probe of the table where a read and a write took three. The routing core does
    /// this for every message it takes or hands on, and with the table at its full 200,000 ids
    /// each probe is a cache miss (docs/benchmarks.md, the routing cores of a hop).
    mutating func update(_ key: Key, default value: @autoclosure () -> Value, _ body: (inout Value) -> Void) {
        let before = values.count
        let generation = nextGeneration &+ 1
        body(&values[key, default: (value(), generation)].value)
        guard values.count != before else { return }
        nextGeneration = generation
        order.append((key, generation))
        evict()
    }

    private mutating func evict() {
        while values.count > capacity, let oldest = order.popFirst() {
            if let i = values.index(forKey: oldest.key), values.values[i].generation == oldest.generation { values.remove(at: i) }
        }
        if order.count > 2 * capacity + 64 {
            order = Deque(order.filter { values[$0.key]?.generation == $0.generation })
        }
    }
}
