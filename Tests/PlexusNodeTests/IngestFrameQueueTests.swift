import NIOCore
@testable import PlexusAPI
import Testing

/// The queue between a WebSocket ingest connection's reader and its trips to the log.
@Suite struct IngestFrameQueueTests {
    private func frames(_ texts: [String]) -> [ByteBuffer] { texts.map { ByteBuffer(string: $0) } }

    @Test func takesQueuedFramesOldestFirstUpToTheLimit() async {
        let queue = IngestFrameQueue()
        for text in ["a", "b", "c", "d", "e"] { queue.push(ByteBuffer(string: text)) }
        #expect(await queue.take(upTo: 3) == frames(["a", "b", "c"]))
        #expect(await queue.take(upTo: 3) == frames(["d", "e"]))
    }

    @Test func finishedQueueHandsOutWhatIsLeftThenNil() async {
        let queue = IngestFrameQueue()
        queue.push(ByteBuffer(string: "a"))
        queue.push(ByteBuffer(string: "b"))
        queue.finish()
        queue.finish()
        #expect(await queue.take(upTo: 64) == frames(["a", "b"]))
        #expect(await queue.take(upTo: 64) == nil)
    }

    @Test func waitingTakerIsWokenByAFrame() async {
        let queue = IngestFrameQueue()
        let taker = Task { await queue.take(upTo: 64) }
        // Whether the taker waits already or not, it must get exactly this frame.
        try? await Task.sleep(for: .milliseconds(20))
        queue.push(ByteBuffer(string: "a"))
        #expect(await taker.value == frames(["a"]))
        queue.push(ByteBuffer(string: "b"))
        #expect(await queue.take(upTo: 64) == frames(["b"]))
    }

    @Test func waitingTakerIsWokenByFinish() async {
        let queue = IngestFrameQueue()
        let taker = Task { await queue.take(upTo: 64) }
        try? await Task.sleep(for: .milliseconds(20))
        queue.finish()
        #expect(await taker.value == nil)
    }
}
