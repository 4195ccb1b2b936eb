import Testing
@testable import PlexusCore

@Suite struct ConfigStateTests {
    let key = try! ConfigKey(.policies, "no-auditor")

    func item(_ version: Int64, at ms: Int64, node: String, value: JSONValue? = ["action": "allow"]) -> ConfigItem {
        ConfigItem(key: key, value: value, version: version, at: Timestamp(milliseconds: ms), node: node)
    }

    @Test func newestVersionWinsWhateverTheOrder() {
        let versions = [item(1, at: 10, node: "a"), item(2, at: 5, node: "b"), item(2, at: 5, node: "c"), item(1, at: 99, node: "z")]
        var states: [ConfigState] = []
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            var state = ConfigState()
            for i in order { state.merge(versions[i]) }
            states.append(state)
        }
        // Version first (a slow clock still supersedes what it read), then time, then node id.
        #expect(states.allSatisfy { $0.items[key]?.node == "c" })
        #expect(states[0] == states[1] && states[1] == states[2])
    }

    @Test func mergeIsIdempotentAndReportsWhetherItTook() {
        var state = ConfigState()
        let first = state.merge(item(1, at: 1, node: "a"))
        let again = state.merge(item(1, at: 1, node: "a"))
        let older = state.merge(item(0, at: 50, node: "z"))
        #expect(first && !again && !older)
    }

    @Test func aDeleteOutranksOlderWritesAndIsNotResurrected() {
        var state = ConfigState()
        state.merge(item(1, at: 1, node: "a"))
        state.merge(item(2, at: 2, node: "a", value: nil))
        state.merge(item(1, at: 500, node: "b"))  // a late, older write from another node
        #expect(state.value(key) == nil)
        #expect(state.live(.policies).isEmpty)
    }

    @Test func nextNumbersAboveTheNewestSeenEvenWithAClockBehind() {
        var state = ConfigState()
        state.merge(item(7, at: 1_000, node: "b"))
        let next = state.next(key, value: ["action": "allow"], now: Timestamp(milliseconds: 10), node: "a", author: "ops")
        #expect(next.version == 8)
        #expect(next.at > Timestamp(milliseconds: 1_000))
        #expect(next.supersedes(state.items[key]!))
    }

    @Test func itemsRoundTripThroughJSON() throws {
        let original = ConfigItem(key: key, value: ["when": "true", "action": "deny"], version: 3,
                                  at: Timestamp(milliseconds: 1_700_000_000_123), node: "acme/eu/n1", author: "alice")
        #expect(try ConfigItem(json: original.json) == original)
        let deleted = ConfigItem(key: key, value: nil, version: 4, at: Timestamp(milliseconds: 1_700_000_000_000), node: "n")
        #expect(try ConfigItem(json: deleted.json) == deleted)
    }

    @Test(arguments: [
        (#"{"section":"nope","name":"x","version":1,"updated_at":"2026-01-01T00:00:00Z","updated_by_node":"n"}"#, "/section"),
        (#"{"section":"policies","name":"x","version":0,"updated_at":"2026-01-01T00:00:00Z","updated_by_node":"n"}"#, "/version"),
        (#"{"section":"policies","name":"x","version":1,"updated_at":"yesterday","updated_by_node":"n"}"#, "/updated_at"),
    ])
    func badItemsNameTheField(_ text: String, _ pointer: String) throws {
        #expect { try ConfigItem(json: try JSONParser.parse(text)) } throws: { ($0 as? PlexusError)?.pointer == pointer }
    }

    @Test func keysRefuseEmptyAndControlCharacters() {
        #expect(throws: PlexusError.self) { try ConfigKey(.acls, "") }
        #expect(throws: PlexusError.self) { try ConfigKey(.acls, "a b") }
        #expect(ConfigKey(registryID: "acls/finance") == (try? ConfigKey(.acls, "finance")))
        #expect(ConfigKey(registryID: "messaging_config/orders/retention")?.name == "orders/retention")
        #expect(ConfigKey(registryID: "nope/x") == nil)
    }

    @Test func constraintRevisionChangesOnlyWithConstraintItems() throws {
        var state = ConfigState()
        let before = state.constraintRevision
        state.merge(ConfigItem(key: try ConfigKey(.globalConfig, "x"), value: 1, version: 1, at: Timestamp(milliseconds: 1), node: "n"))
        #expect(state.constraintRevision == before)
        state.merge(item(1, at: 1, node: "a"))
        #expect(state.constraintRevision != before)
    }
}
