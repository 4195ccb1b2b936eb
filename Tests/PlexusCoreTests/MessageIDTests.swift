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

@Suite("Hex")
struct HexTests {
    @Test func encodesLowerCaseAndDecodesEitherCase() {
        let bytes: [UInt8] = [0x00, 0x0F, 0xA5, 0xFF, 0x10]
        #expect(Hex.encode(bytes) == "000fa5ff10")
        #expect(Hex.decode("000fa5ff10") == bytes)
        #expect(Hex.decode("000FA5Ff10") == bytes)
        #expect(Hex.decode("v0=abcd".dropFirst(3)) == [0xAB, 0xCD])
        #expect(Hex.decode("") == [])
    }

    @Test func refusesOddCountsAndNonHexCharacters() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.value(of: UInt8(ascii: "G")) == nil)
        #expect((0...15).map { Hex.value(of: Hex.digit(UInt8($0))) } == (0...15).map { UInt8($0) })
    }
}
