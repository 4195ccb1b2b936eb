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

    /// The hand-written parser reads every canonical id as Foundation does, and refuses every
    /// other shape: each position of a valid id replaced by each printable character, ids cut
    /// short or run long. Foundation on Linux parses with `sscanf`, which also takes a space, a
    /// sign or `x` inside a group (" 192f3a4-…" reads as 0x0192f3a4): such ids are not the
    /// canonical form the envelope requires, and are refused.
    @Test func parsingReadsTheCanonicalFormOnly() {
        let valid = "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6"
        #expect(MessageID(string: valid)?.uuid == UUID(uuidString: valid))
        #expect(MessageID(string: valid.uppercased())?.uuid == UUID(uuidString: valid))
        for wrong in ["", valid + "0", String(valid.dropLast()), "0192f3a45b6c7d8e9fa0b1c2d3e4f5a6", "{0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5}",
                      "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5é"] {
            #expect(MessageID(string: wrong) == nil, "\(wrong)")
        }
        let hyphens: Set = [8, 13, 18, 23]
        for i in 0..<36 {
            for code in UInt8(32)...126 {
                var bytes = Array(valid.utf8)
                bytes[i] = code
                let input = String(decoding: bytes, as: UTF8.self)
                let canonical = hyphens.contains(i) ? code == UInt8(ascii: "-") : Hex.value(of: code) != nil
                #expect(MessageID(string: input)?.uuid == (canonical ? UUID(uuidString: input) : nil), "\(input)")
            }
        }
    }

    /// Equality and hashing read all 16 bytes (as two words): ids that differ in any one byte
    /// are different keys, and equal ids hash alike.
    @Test func everyByteCountsForEqualityAndHashing() {
        let base = [UInt8](repeating: 0x5A, count: 16)
        func id(_ bytes: [UInt8]) -> MessageID {
            MessageID(UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                  bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])))
        }
        var seen: Set<MessageID> = [id(base)]
        for i in 0..<16 {
            var bytes = base
            bytes[i] ^= 0x01
            #expect(id(bytes) != id(base), "byte \(i)")
            seen.insert(id(bytes))
        }
        #expect(seen.count == 17)
        #expect(id(base) == id(base) && id(base).hashValue == id(base).hashValue)
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
