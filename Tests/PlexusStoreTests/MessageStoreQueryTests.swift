import PlexusCore
import PlexusStore
import Testing

@Suite("MessageStore queries")
/// One suite, two stores: every test runs against SQLite and PostgreSQL.
struct MessageStoreQueryTests {
    private func ids(_ page: MessagePage) -> [MessageID] { page.messages.map(\.messageID) }

    @Test(arguments: StoreKind.allCases) func queryBySubjectMatchesSenderAndRecipients(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let m1 = try factory.record(at: 1, from: "alice", to: ["bob"])
        let m2 = try factory.record(at: 2, from: "carol", to: ["alice", "dave"])
        let m3 = try factory.record(at: 3, from: "bob", to: ["carol", "carol", "bob"])
        let m4 = try factory.record(at: 4, from: nil, to: [])
        try await withStore(kind) { store, _ in
            _ = try await store.append([m1, m2, m3, m4])
            let alice = try await store.query(MessageQuery(subject: "alice"))
            #expect(ids(alice) == [m2, m1].map(\.envelope.messageID))
            #expect(alice.nextCursor == nil)
            let bob = try await store.query(MessageQuery(subject: "bob"))
            #expect(ids(bob) == [m3, m1].map(\.envelope.messageID))
            let carol = try await store.query(MessageQuery(subject: "carol"))
            #expect(ids(carol) == [m3, m2].map(\.envelope.messageID))
            #expect(try await store.query(MessageQuery(subject: "nobody")).messages.isEmpty)
            #expect(alice.messages.first?.json == m2.json)
        }
    }

    @Test(arguments: StoreKind.allCases) func queryByLiteralTopic(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = [
            try factory.record(at: 1, topic: "a.b"),
            try factory.record(at: 2, topic: "a.b.c"),
            try factory.record(at: 3, topic: "a.b"),
            try factory.record(at: 4, topic: "a.bc"),
        ]
        try await withStore(kind) { store, _ in
            _ = try await store.append(records)
            let page = try await store.query(MessageQuery(topic: try TopicPattern("a.b")))
            #expect(ids(page) == [records[2], records[0]].map(\.envelope.messageID))
        }
    }

    @Test(arguments: StoreKind.allCases) func queryByWildcardTopics(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let topics = ["a.b.c", "a.x.c", "a.b.d", "a.b", "b.b.c", "a.b.c.d", "a", "ab.x.c", "a.c", "a.x.y.c",
                      "q?.[x].c", "qq.[x].c", "q?.x.c", "q?.[x].d.c"]
        let records = try topics.enumerated().map { try factory.record(at: Int64($0.offset), topic: $0.element) }
        func expected(_ pattern: String) throws -> [MessageID] {
            let pattern = try TopicPattern(pattern)
            return records.reversed().filter { pattern.matches($0.envelope.topic) }.map(\.envelope.messageID)
        }
        try await withStore(kind) { store, _ in
            _ = try await store.append(records)
            for pattern in ["a.*.c", "a.>", "*.b.c", ">", "a.*", "*", "a.b.>", "*.*.c", "q?.[x].*", "q?.*.c", "*.[x].>"] {
                let page = try await store.query(MessageQuery(topic: try TopicPattern(pattern)))
                #expect(ids(page) == (try expected(pattern)), "pattern \(pattern)")
            }
            let star = try await store.query(MessageQuery(topic: try TopicPattern("a.*.c")))
            #expect(Set(star.messages.map(\.seq)) == [1, 2])
        }
    }

    @Test(arguments: StoreKind.allCases) func wildcardQueryScansPastManyNonMatchingRows(kind: StoreKind) async throws {
        var factory = RecordFactory()
        var records = try (0..<5).map { try factory.record(at: Int64($0), topic: "a.m\($0).c") }
        // Newer rows that SQL's GLOB pre-filter lets through (`*` spans dots) but the NATS
        // pattern rejects, more than one SQL page of them, and rows GLOB rejects outright.
        records += try (0..<700).map { try factory.record(at: 100 + Int64($0), topic: "a.n\($0).q.c") }
        records += try (0..<300).map { try factory.record(at: 1_000 + Int64($0), topic: "a.n\($0).z") }
        try await withStore(kind) { store, _ in
            _ = try await store.append(records)
            var query = MessageQuery(topic: try TopicPattern("a.*.c"), limit: 2)
            var seen: [MessageID] = []
            while true {
                let page = try await store.query(query)
                seen += ids(page)
                guard let cursor = page.nextCursor else { break }
                #expect(page.messages.count == 2)
                query.cursor = cursor
            }
            #expect(seen == records[0..<5].reversed().map(\.envelope.messageID))
        }
    }

    /// A rare wildcard match under many non-matching rows: each request reads a bounded number of
    /// rows and hands back a cursor; following the cursors still finds every match, in order.
    @Test func wildcardScanIsBoundedPerRequestAndResumable() async throws {
        var factory = RecordFactory()
        var records = try (0..<3).map { try factory.record(at: Int64($0), topic: "rare.x.c") }
        // Newer rows that pass SQL's GLOB pre-filter but not the NATS pattern: they must be read.
        records += try (0..<1_000).map { try factory.record(at: 100 + Int64($0), topic: "rare.n\($0).q.c") }
        var options = SQLiteStoreOptions()
        options.maxRowsScannedPerQuery = 100
        try await withStore(options: options) { store, _ in
            _ = try await store.append(records)
            var query = MessageQuery(topic: try TopicPattern("rare.*.c"), limit: 10)
            var seen: [MessageID] = []
            var requests = 0
            while true {
                let page = try await store.query(query)
                requests += 1
                seen += ids(page)
                guard let cursor = page.nextCursor else { break }
                query.cursor = cursor
            }
            #expect(seen == records[0..<3].reversed().map(\.envelope.messageID))
            #expect(requests > 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func sinceIsInclusiveAndUntilExclusive(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = try (0..<10).map { try factory.record(at: Int64($0), from: "s", to: ["t"]) }
        try await withStore(kind) { store, _ in
            _ = try await store.append(records)
            let since = records[3].envelope.originTS
            let until = records[7].envelope.originTS
            let expected = records[3..<7].reversed().map(\.envelope.messageID)
            #expect(ids(try await store.query(MessageQuery(since: since, until: until))) == expected)
            #expect(ids(try await store.query(MessageQuery(subject: "t", since: since, until: until))) == expected)
            #expect(ids(try await store.query(MessageQuery(topic: try TopicPattern("a.*"), since: since, until: until))) == expected)
            #expect(ids(try await store.query(MessageQuery(since: records[9].envelope.originTS))) == [records[9].envelope.messageID])
            #expect(try await store.query(MessageQuery(until: records[0].envelope.originTS)).messages.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases, [
        MessageQuery(limit: 10),
        MessageQuery(subject: "bob", limit: 7),
        MessageQuery(topic: try! TopicPattern("a.b"), limit: 10),
        MessageQuery(topic: try! TopicPattern("a.*"), limit: 9),
        MessageQuery(topic: try! TopicPattern(">"), limit: 1),
        MessageQuery(limit: 257),
        MessageQuery(limit: 1_000),
    ])
    func pagingWalksEveryRowOnceInOrder(kind: StoreKind, base: MessageQuery) async throws {
        var factory = RecordFactory()
        // Several messages share an origin_ts, so the seq tie-break is exercised; appended out of
        // time order, so seq order differs from time order.
        var records: [LogRecord] = []
        for index in 0..<257 {
            let ts = Int64((index * 37) % 101)
            let topic = index % 3 == 0 ? "a.b" : (index % 3 == 1 ? "a.c" : "b.c")
            records.append(try factory.record(at: ts, topic: topic, from: "s\(index % 4)", to: index % 2 == 0 ? ["bob"] : []))
        }
        try await withStore(kind) { store, _ in
            let outcomes = try await store.append(records)
            let seqOf = Dictionary(uniqueKeysWithValues: zip(records.map(\.envelope.messageID), outcomes.compactMap(\.seq)))
            let expected = records
                .filter { base.matches($0.envelope) }
                .sorted {
                    ($0.envelope.originTS, seqOf[$0.envelope.messageID]!) > ($1.envelope.originTS, seqOf[$1.envelope.messageID]!)
                }
                .map(\.envelope.messageID)
            #expect(!expected.isEmpty)

            var query = base
            var walked: [MessageID] = []
            var pages = 0
            while true {
                let page = try await store.query(query)
                pages += 1
                walked += ids(page)
                guard let cursor = page.nextCursor else { break }
                #expect(page.messages.count == base.limit)
                #expect(cursor == QueryCursor(originTS: page.messages.last!.originTS, seq: page.messages.last!.seq))
                query.cursor = cursor
                if pages > 1_000 { Issue.record("paging does not end"); break }
            }
            #expect(walked == expected)
            #expect(pages == max(1, (expected.count + base.limit - 1) / base.limit))
        }
    }

    @Test(arguments: StoreKind.allCases) func exactlyLimitRowsLeavesNoCursor(kind: StoreKind) async throws {
        var factory = RecordFactory()
        let records = try (0..<4).map { try factory.record(at: Int64($0)) }
        try await withStore(kind) { store, _ in
            _ = try await store.append(records)
            let page = try await store.query(MessageQuery(limit: 4))
            #expect(page.messages.count == 4)
            #expect(page.nextCursor == nil)
            let first = try await store.query(MessageQuery(limit: 3))
            #expect(first.nextCursor != nil)
            let rest = try await store.query(MessageQuery(limit: 3, cursor: first.nextCursor))
            #expect(ids(rest) == [records[0].envelope.messageID])
            #expect(rest.nextCursor == nil)
        }
    }
}
