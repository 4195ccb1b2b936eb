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
            if let old = values[key] {
                values[key] = (newValue, old.generation)
                return
            }
            nextGeneration &+= 1
            values[key] = (newValue, nextGeneration)
            order.append((key, nextGeneration))
            evict()
        }
    }

    private mutating func evict() {
        while values.count > capacity, let oldest = order.popFirst() {
            if values[oldest.key]?.generation == oldest.generation { values[oldest.key] = nil }
        }
        if order.count > 2 * capacity + 64 {
            order = Deque(order.filter { values[$0.key]?.generation == $0.generation })
        }
    }
}
