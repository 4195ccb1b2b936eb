import PlexusCore
import PlexusStore
import Testing

@Suite("MessageStore in log order")
/// One suite, two stores: every test runs against SQLite and PostgreSQL.
struct MessageStoreSequenceTests {
    @Test(arguments: StoreKind.allCases) func readsInCommitOrderFromACursor(kind: StoreKind) async throws {
        var factory = RecordFactory()
        // Origin times out of order on purpose: log order is commit order, not origin_ts.
        let first = try [factory.record(at: 9), factory.record(at: 1)]
        let second = try [factory.record(at: 5, role: .relay), factory.record(at: 2)]
        try await withStore(kind) { store, _ in
            #expect(try await store.lastSequence() == 0)
            #expect(try await store.messages(after: 0, limit: 10).isEmpty)
            _ = try await store.append(first)
            _ = try await store.append(second + [first[0]])  // the duplicate takes no seq
            let all = try await store.messages(after: 0, limit: 10)
            #expect(all.map(\.messageID) == (first + second).map(\.envelope.messageID))
            #expect(all.map(\.role) == [.origin, .origin, .relay, .origin])
            #expect(try await store.lastSequence() == all.last?.seq)
            let page = try await store.messages(after: all[0].seq, limit: 2)
            #expect(page.map(\.messageID) == [first[1], second[0]].map(\.envelope.messageID))
            #expect(try await store.messages(after: all[3].seq, limit: 10).isEmpty)
            #expect(try await store.messages(after: 0, limit: 0).isEmpty)
            #expect(page.first?.json == first[1].json)
            #expect(page.first?.topic == "a.b")
        }
    }
}
