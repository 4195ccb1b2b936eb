import PlexusCore
import PlexusEdge
import Testing

@Suite("Queue stamps and fallback ids")
struct QueueStampTests {
    @Test func splitsAStampedEntry() {
        let item = Array(#"{"topic":"a.b","data":"x,y"}"#.utf8)
        let entry = QueueStamp(seq: 42, milliseconds: 1_767_225_600_123).stamped(item)
        let (stamp, rest) = QueueStamp.split(entry)
        #expect(stamp == QueueStamp(seq: 42, milliseconds: 1_767_225_600_123))
        #expect(Array(rest) == item)
    }

    @Test func anEntryWithoutAStampIsTheItemItself() {
        for text in [#"{"topic":"a"}"#, "", ",", "1,", "1,2", ",1,x", "a,1,x", "1,b,x", "99999999999999999999,1,x", "1,,x"] {
            let entry = Array(text.utf8)
            let (stamp, rest) = QueueStamp.split(entry)
            #expect(stamp == nil, "\(text)")
            #expect(Array(rest) == entry)
        }
        // Binary items survive the split untouched.
        let binary: [UInt8] = [0, 13, 10, 44, 255]
        let (stamp, rest) = QueueStamp.split(QueueStamp(seq: 1, milliseconds: 2).stamped(binary))
        #expect(stamp?.seq == 1)
        #expect(Array(rest) == binary)
    }

    @Test func fallbackIDsAreStablePerItemAndKeyed() {
        let ids = FallbackMessageIDs(key: Array(repeating: 7, count: 32))
        let stamp = QueueStamp(seq: 9, milliseconds: 1_767_225_600_000)
        let a = ids.id(node: "n1", list: "MESSAGES", stamp: stamp)
        #expect(a == ids.id(node: "n1", list: "MESSAGES", stamp: stamp))
        #expect(a != ids.id(node: "n1", list: "MESSAGES", stamp: QueueStamp(seq: 10, milliseconds: stamp.milliseconds)))
        #expect(a != ids.id(node: "n2", list: "MESSAGES", stamp: stamp))
        #expect(a != ids.id(node: "n1", list: "OTHER", stamp: stamp))
        #expect(a != FallbackMessageIDs(key: Array(repeating: 8, count: 32)).id(node: "n1", list: "MESSAGES", stamp: stamp))
        // A UUIDv7 carrying the stamp's time, so the log's time order holds.
        let text = a.description
        #expect(text.dropFirst(14).first == "7")
        #expect(UInt64(text.prefix(8) + text.dropFirst(9).prefix(4), radix: 16) == UInt64(stamp.milliseconds))
    }

    @Test func egressTemplatesNameByTopic() throws {
        #expect(try EgressTemplate("{topic}").name(topic: "agents.a") == "agents.a")
        #expect(try EgressTemplate("out.{topic}.x").name(topic: "t") == "out.t.x")
        #expect(try EgressTemplate("fixed").name(topic: "t") == "fixed")
        #expect(throws: EdgeError.self) { try EgressTemplate("") }
        #expect(throws: EdgeError.self) { try EgressTemplate("a\nb") }
    }
}
