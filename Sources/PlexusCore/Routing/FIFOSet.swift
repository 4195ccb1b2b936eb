import Collections

/// A set that remembers insertion order, with O(1) append, membership, removal anywhere and
/// pop of the oldest. The routing core's queues (messages ready to send, transmissions in
/// flight per hop, messages waiting for a window) lose members from the middle all the time
/// (an ack, a failover); `OrderedSet` pays O(n) for each of those, which at tens of thousands
/// of messages in flight was most of a node's CPU (docs/benchmarks.md).
///
/// Removal only forgets the member; its slot in the order is skipped when reached (a slot
/// counts only if its generation is the member's current one, so a member removed and appended
/// again is found once, at its new place), and the order is compacted when skipped slots
/// outnumber live ones.
struct FIFOSet<Element: Hashable & Sendable>: Sendable, Sequence, ExpressibleByArrayLiteral {
    private var order: Deque<(element: Element, generation: UInt64)> = []
    private var members: [Element: UInt64] = [:]
    private var nextGeneration: UInt64 = 0

    init() {}

    init(arrayLiteral elements: Element...) {
        for e in elements { append(e) }
    }

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    func contains(_ element: Element) -> Bool { members[element] != nil }

    /// Appends `element` unless it is already a member (its place stays where it was).
    mutating func append(_ element: Element) {
        guard members[element] == nil else { return }
        nextGeneration &+= 1
        members[element] = nextGeneration
        order.append((element, nextGeneration))
    }

    mutating func remove(_ element: Element) {
        guard members.removeValue(forKey: element) != nil else { return }
        if members.isEmpty {
            order.removeAll(keepingCapacity: true)
        } else if order.count > 2 * members.count + 64 {
            order = Deque(order.filter { isLive($0) })
        }
    }

    mutating func popFirst() -> Element? {
        while let first = order.popFirst() {
            if isLive(first) {
                members[first.element] = nil
                return first.element
            }
        }
        return nil
    }

    /// The oldest member, without removing it.
    var first: Element? {
        mutating get {
            while let head = order.first, !isLive(head) { order.removeFirst() }
            return order.first?.element
        }
    }

    func makeIterator() -> some IteratorProtocol<Element> {
        let members = members
        return order.lazy.filter { members[$0.element] == $0.generation }.map(\.element).makeIterator()
    }

    private func isLive(_ slot: (element: Element, generation: UInt64)) -> Bool {
        members[slot.element] == slot.generation
    }
}
