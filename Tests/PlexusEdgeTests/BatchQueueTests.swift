@testable import PlexusEdge
import Testing

@Suite("BatchQueue")
struct BatchQueueTests {
    @Test func takesWhatIsThereUpToMax() async {
        let queue = BatchQueue<Int>(capacity: 10)
        for i in 0..<5 { await queue.push(i) }
        #expect(await queue.next(max: 3) == [0, 1, 2])
        #expect(await queue.next(max: 3) == [3, 4])
    }

    @Test func nextWaitsForAPushAndPushWaitsForRoom() async {
        let queue = BatchQueue<Int>(capacity: 2)
        let taker = Task { await queue.next(max: 10) }
        await queue.push(1)
        #expect(await taker.value == [1])
        await queue.push(2)
        await queue.push(3)
        // Full: the third push waits until a batch is taken.
        let pushed = Shared(false)
        let pusher = Task {
            await queue.push(4)
            pushed.withLock { $0 = true }
        }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(pushed.withLock { $0 } == false, "a push into a full queue returned")
        #expect(await queue.next(max: 10) == [2, 3])
        await pusher.value
        #expect(await queue.next(max: 10) == [4])
    }

    @Test func severalTakersEachGetElements() async {
        let queue = BatchQueue<Int>(capacity: 100)
        let takers = (0..<3).map { _ in Task { await queue.next(max: 1) } }
        for i in 0..<3 { await queue.push(i) }
        var got: [Int] = []
        for taker in takers { got += await taker.value }
        #expect(got.sorted() == [0, 1, 2])
    }

    @Test func closeDrainsThenEnds() async {
        let queue = BatchQueue<Int>(capacity: 4)
        await queue.push(1)
        queue.close()
        await queue.push(2)  // after close: dropped, does not wait
        #expect(await queue.next(max: 10) == [1])
        #expect(await queue.next(max: 10) == [])
        let waiting = Task { await queue.next(max: 10) }
        #expect(await waiting.value == [])
    }
}
