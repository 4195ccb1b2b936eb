import PlexusCore

/// The virtual clock's agenda: events in deadline order, ties in insertion order (the shape of
/// NIO's `EmbeddedEventLoop.advanceTime`), so a run is a pure function of its seed.
struct EventQueue<Payload> {
    private struct Slot {
        var time: Int64
        var order: UInt64
        var payload: Payload
    }

    private var heap: [Slot] = []
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Int64? { heap.first?.time }

    mutating func push(_ payload: Payload, at time: Int64) {
        nextOrder += 1
        heap.append(Slot(time: time, order: nextOrder, payload: payload))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: Int64, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, Self.less(heap[l], heap[m]) { m = l }
            if r < n, Self.less(heap[r], heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.payload)
    }

    private static func less(_ a: Slot, _ b: Slot) -> Bool {
        a.time != b.time ? a.time < b.time : a.order < b.order
    }
}
