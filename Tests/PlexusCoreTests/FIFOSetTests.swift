import Testing
@testable import PlexusCore

@Suite struct FIFOSetTests {
    @Test func removalAnywhereKeepsOrderAndReappendMovesToTheBack() {
        var set: FIFOSet<Int> = [1, 2, 3, 4]
        set.remove(2)
        set.append(2)  // back in, at the end
        set.append(3)  // already a member: stays where it is
        #expect(Array(set) == [1, 3, 4, 2])
        #expect(set.count == 4)
        #expect(set.popFirst() == 1)
        #expect(set.first == 3)
        set.remove(3)
        #expect(Array(set) == [4, 2])
        #expect(set.popFirst() == 4)
        #expect(set.popFirst() == 2)
        #expect(set.popFirst() == nil)
        #expect(set.isEmpty)
    }

    @Test func manyRemovalsCompactTheOrder() {
        var set = FIFOSet<Int>()
        for i in 0..<10_000 { set.append(i) }
        for i in stride(from: 0, to: 10_000, by: 2) { set.remove(i) }
        #expect(set.count == 5_000)
        #expect(Array(set.prefix(3)) == [1, 3, 5])
    }

    @Test func recentMemoryForgetsTheOldestBeyondCapacity() {
        var memory = RecentMemory<Int, String>(capacity: 3)
        for i in 0..<5 { memory[i] = "v\(i)" }
        #expect(memory[0] == nil && memory[1] == nil)
        #expect(memory[2] == "v2" && memory[4] == "v4")
        memory[2] = nil
        memory[5] = "v5"
        #expect(memory.count == 3)
        #expect(memory[3] == "v3")
    }

    /// The peers a message was handed to: each once, the first kept inline, each with the
    /// targets it went to them for.
    @Test func handedToKeepsEachPeerOnceWithItsTargets() {
        var handed = RoutingCore.HandedTo()
        #expect(handed.isEmpty && handed.set.isEmpty)
        for (peer, target): (NodeID, NodeID) in [("b", "x"), ("c", "y"), ("b", "z"), ("d", "w"), ("c", "y")] {
            handed.insert(peer, for: [target])
        }
        #expect(!handed.isEmpty)
        #expect(handed.set == ["b", "c", "d"])
        #expect(handed.peers(forAny: ["x"]) == ["b"])
        #expect(handed.peers(forAny: ["z", "y"]) == ["b", "c"])
        #expect(handed.peers(forAny: ["w"]) == ["d"])
        #expect(RoutingCore.HandedTo.mask(["x", "y", "z", "w"]).nonzeroBitCount == 4, "these ids hash to distinct bits")
        #expect(handed.peers(forAny: ["v"]).isEmpty || RoutingCore.HandedTo.mask(["v"]) & RoutingCore.HandedTo.mask(["x", "y", "z", "w"]) != 0)
    }

    /// `update` changes a remembered value in place without making it younger, and remembers a
    /// new key (evicting the oldest) exactly as the setter does.
    @Test func recentMemoryUpdateKeepsTheAgeOfWhatItChanges() {
        var memory = RecentMemory<Int, [Int]>(capacity: 3)
        for i in 0..<3 { memory.update(i, default: []) { $0.append(i) } }
        memory.update(0, default: [99]) { $0.append(10) }  // remembered: changed, default unused
        #expect(memory[0] == [0, 10])
        #expect(memory.count == 3)
        memory.update(3, default: [7]) { $0.append(3) }  // new: the default, changed; 0 is still the oldest
        #expect(memory[3] == [7, 3])
        #expect(memory[0] == nil)
        #expect(memory[1] == [1] && memory[2] == [2])
        memory[1] = nil
        memory.update(1, default: []) { $0.append(11) }  // forgotten, then remembered afresh: the youngest
        memory.update(4, default: []) { _ in }
        #expect(memory[2] == nil)
        #expect(memory[1] == [11] && memory[3] == [7, 3] && memory[4] == [])
        #expect(memory.count == 3)
    }
}
