import Foundation
import Testing
@testable import PlexusCore

@Suite("MessageID")
struct MessageIDTests {
    /// The hand-written formatter says exactly what Foundation says, lower-cased, for ids of
    /// every shape (random, v7, all zeros, all ones), and parses back to the same id.
    @Test func descriptionIsFoundationsLowerCasedForm() {
        var rng = SplitMix64(seed: 42)
        var ids = (0..<1_000).map { _ in MessageID(UUID()) }
        ids += (0..<100).map { MessageID.v7(now: Timestamp(microseconds: Int64($0) * 1_000_003), rng: &rng) }
        ids.append(MessageID(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))))
        ids.append(MessageID(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))))
        for id in ids {
            #expect(id.description == id.uuid.uuidString.lowercased())
            #expect(MessageID(string: id.description) == id)
            #expect(MessageID(string: id.description.uppercased()) == id)
        }
    }
}
