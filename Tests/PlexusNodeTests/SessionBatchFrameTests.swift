#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
@testable import PlexusAPI
import PlexusCore
import Testing

/// A subject session's batch frames (`?frames=batch`) and the ack frame scanner.
@Suite struct SessionBatchFrameTests {
    /// What is pending when the agent reconnects with `?frames=batch` arrives as one JSON array,
    /// oldest first; acks in any JSON whitespace clear the inbox.
    @Test func aReconnectWithBatchFramesGetsTheBacklogAsOneArray() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let url = node.wsBase + "/v1/subjects/agent-b/session"
        let first = try await node.announcedSession("agent-b")
        let ids = try await node.sendDirect(to: "agent-b", count: 5)
        #expect(try await first.next(5).count == 5)
        first.stop()

        let second = WSTestClient(url: url + "?frames=batch")
        defer { second.stop() }
        let frame = try JSONParser.parse(Array(try await second.next(1)[0].utf8))
        #expect(frame.arrayValue?.compactMap { $0["message_uuid"]?.stringValue } == ids)
        #expect(frame.arrayValue?.compactMap { $0["message_data"]?.integerValue } == [0, 1, 2, 3, 4])
        second.send("{ \"ack\" :\n [ \"\(ids[0])\" , \"\(ids[1])\",\"\(ids[2])\" ] }")
        second.send(#"{"ack":"\#(ids[3])"}"#)
        try await eventually("the acks are taken") {
            try await HTTP.get(node.base + "/healthz").json?["inboxes"]?["pending"]?.integerValue == 1
        }
        // A later message comes as an array of one.
        let later = try await HTTP.post(node.base + "/v1/messages", json: ["topic": "dm", "destination_subject_ids": ["agent-b"], "data": 5])
        let next = try JSONParser.parse(Array(try await second.next(1)[0].utf8))
        #expect(next.arrayValue?.compactMap { $0["message_uuid"]?.stringValue } == [later.json?["message_uuids"]?.arrayValue?.first?.stringValue ?? "-"])
    }

    @Test func anUnknownFramingIsRefusedWithAProblem() async throws {
        let node = try await TestNode.start()
        defer { Task { try await node.stop() } }
        let bytes = try await RawHTTP.refusedUpgrade(port: node.port, path: "/v1/subjects/agent-c/session?frames=many")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"frames must be \"single\" or \"batch\", not \"many\""#))
        #expect(try await HTTP.get(node.base + "/v1/subjects/agent-c").status == 404, "a refused session announces nothing")
    }

    @Test func batchFramesKeepOrderAndSplitAtTheSizeLimit() throws {
        let envelopes = (0..<100).map { ByteBuffer(string: #"{"n":\#($0),"pad":"\#(String(repeating: "x", count: 700))"}"#) }
        let frames = Self.frames(envelopes)
        #expect(frames.count > 1)
        #expect(frames.allSatisfy { $0.readableBytes <= SubjectSessionRoute.batchFrameBytes })
        let numbers = try frames.flatMap { frame in
            try JSONParser.parse(Array(buffer: frame)).arrayValue?.compactMap { $0["n"]?.integerValue } ?? []
        }
        #expect(numbers == Array(0..<100))
        // An envelope larger than the limit is a frame of its own.
        let big = ByteBuffer(string: #"{"big":"\#(String(repeating: "y", count: SubjectSessionRoute.batchFrameBytes))"}"#)
        #expect(Self.frames([envelopes[0], big, envelopes[1]]).count == 3)
        #expect(Self.frames([]).isEmpty)
        // Exactly at the limit: one frame.
        let exact = ByteBuffer(string: String(repeating: "z", count: SubjectSessionRoute.batchFrameBytes - 2))
        #expect(Self.frames([exact]).map(\.readableBytes) == [SubjectSessionRoute.batchFrameBytes])
    }

    static func frames(_ envelopes: [ByteBuffer]) -> [ByteBuffer] {
        var rest = envelopes[...]
        var frames: [ByteBuffer] = []
        while let frame = SubjectSessionRoute.nextBatchFrame(&rest) { frames.append(frame) }
        return frames
    }

    @Test func theAckScannerTakesThePlainShapeAndNothingElse() {
        let a = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", b = "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2C"
        #expect(SessionAckFrame.ids(in: Array(#"{"ack":"\#(a)"}"#.utf8)) == [MessageID(string: a)!])
        #expect(SessionAckFrame.ids(in: Array("\t{ \"ack\" : [ \"\(a)\" ,\r\n\"\(b)\" ] }\n".utf8)) == [a, b].map { MessageID(string: $0)! })
        #expect(SessionAckFrame.ids(in: Array(#"{"ack":[]}"#.utf8)) == [])
        for refused in [
            #"{"ack":"\#(a)","more":1}"#,     // another key
            #"{"ack":["\#(a)",]}"#,           // trailing comma
            #"{"ack":["\#(a)"]"#,             // unclosed
            #"{"ack":["\#(a)"]} x"#,          // trailing bytes
            #"{"ack":"\#(a.dropLast())"}"#,   // short id
            #"{"ack":"\#(a.dropLast())\u0062"}"#, // an escape in the id
            #"{"ack":123}"#, #"{"ACK":"\#(a)"}"#, "", "{",
        ] {
            #expect(SessionAckFrame.ids(in: Array(refused.utf8)) == nil, "\(refused)")
        }
    }

    /// A push wakes a waiting `next` with that frame, and what is pushed meanwhile comes next,
    /// in order.
    @Test func aPushWakesTheWaitingWriter() async {
        let frames = SessionFrames()
        let waiting = Task { await frames.next() }
        // Until the writer waits, a push only queues: wait for it to be parked.
        while !frames.hasWaiter { await Task.yield() }
        frames.push(ByteBuffer(string: "a"))
        #expect(await waiting.value?.map { String(buffer: $0) } == ["a"])
        for s in ["b", "c", "d"] { frames.push(ByteBuffer(string: s)) }
        #expect(await frames.next()?.map { String(buffer: $0) } == ["b", "c", "d"])
    }

    /// The writer waits on `next`; cancelling it ends the wait (the session's task group
    /// cancels the writer when the agent's side closes).
    @Test func aCancelledWaitForFramesEnds() async {
        let frames = SessionFrames()
        frames.push(ByteBuffer(string: "1"))
        frames.push(ByteBuffer(string: "2"))
        #expect(await frames.next()?.map { String(buffer: $0) } == ["1", "2"])
        let waiting = Task { await frames.next() }
        while !frames.hasWaiter { await Task.yield() }
        waiting.cancel()
        #expect(await waiting.value == nil)
        frames.push(ByteBuffer(string: "3"))
        #expect(await frames.next() == nil, "a finished session takes nothing more")
    }
}
