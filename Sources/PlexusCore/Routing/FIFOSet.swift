import Collections

/// A set that remembers insertion order, with O(1) append, membership, removal anywhere and
/// pop of the oldest. The routing core's queues (messages ready to send, transmissions in
/// flight per hop, messages waiting for a window) lose members from the middle all the time
/// (an ack, a failover); `OrderedSet` pays O(n) for each of those, which at tens of thousands
/// of messages in flight was most of a node's CPU (docs/benchmarks.md).
///
/// Removal only forgets the member; its slot in the order is skipped when reached, and the
/// order is compacted when skipped slots outnumber live ones.
struct FIFOSet<Element: Hashable & Sendable>: Sendable, Sequence, ExpressibleByArrayLiteral {
    private var order: Deque<Element> = []
    private var members: Set<Element> = []

    init() {}

    init(arrayLiteral elements: Element...) {
        for e in elements { append(e) }
    }

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    func contains(_ element: Element) -> Bool { members.contains(element) }

    /// Appends `element` unless it is already a member (its place stays where it was).
    mutating func append(_ element: Element) {
        if members.insert(element).inserted { order.append(element) }
    }

    mutating func remove(_ element: Element) {
        guard members.remove(element) != nil else { return }
        if members.isEmpty {
            order.removeAll(keepingCapacity: true)
        } else if order.count > 2 * members.count + 64 {
            order = Deque(order.filter { members.contains($0) })
        }
    }

    mutating func popFirst() -> Element? {
        while let first = order.popFirst() {
            if members.remove(first) != nil { return first }
        }
        return nil
    }

    /// The oldest member, without removing it.
    var first: Element? {
        mutating get {
            while let head = order.first, !members.contains(head) { order.removeFirst() }
            return order.first
        }
    }

    func makeIterator() -> some IteratorProtocol<Element> {
        let members = members
        return order.lazy.filter { members.contains($0) }.makeIterator()
    }
}

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
