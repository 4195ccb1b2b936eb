import NIOCore
import PlexusAPI
import PlexusCore
import Synchronization
import Testing

/// The in-memory side of subject inboxes: beyond capacity the oldest pending message is dropped
/// and reported (so the node deletes its store row), acks are reported, and a restore keeps to
/// the capacity too.
@Suite struct SubjectInboxesTests {
    @Test func overflowDropsTheOldestAndReportsIt() {
        let reported = Mutex<[String]>([])
        let inboxes = SubjectInboxes(capacity: 2) { subject, ids in reported.withLock { $0 += ids.map { "\(subject) \($0)" } } }
        let ids = (1...4).map { mid($0) }
        for id in ids { inboxes.deliver(id, to: ["s"], frame: ByteBuffer(string: "\(id)"), opening: ["s"]) }
        #expect(inboxes.stats.pending == 2)
        #expect(inboxes.stats.dropped == 2)
        #expect(reported.withLock { $0 } == ["s \(ids[0])", "s \(ids[1])"])
        // An ack of a pending message is reported; of a dropped one, not.
        #expect(inboxes.ack("s", ids[2]))
        #expect(!inboxes.ack("s", ids[0]))
        #expect(reported.withLock { $0.count } == 3)
        // Acked ids not compacted yet do not count against the capacity.
        inboxes.deliver(mid(5), to: ["s"], frame: ByteBuffer(string: "5"))
        #expect(inboxes.stats.pending == 2)
        #expect(inboxes.stats.dropped == 2)
    }

    @Test func restoreKeepsToTheCapacity() {
        let reported = Mutex<Int>(0)
        let inboxes = SubjectInboxes(capacity: 3) { _, ids in reported.withLock { $0 += ids.count } }
        inboxes.restore((1...5).map { ("s", mid($0), ByteBuffer(string: "\($0)")) })
        #expect(inboxes.stats.pending == 3)
        #expect(reported.withLock { $0 } == 2)
    }

    private func mid(_ n: UInt8) -> MessageID {
        MessageID(bytes: [UInt8](repeating: 0, count: 15) + [n])
    }
}
