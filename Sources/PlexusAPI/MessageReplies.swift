import NIOCore
import PlexusCore
import PlexusStore

/// The JSON bodies the API replies with. Log reads splice the stored JSON bytes in as they are.
public enum MessageReplies {
    static func accepted(_ receipts: [IngestReceipt]) -> JSONValue {
        var object: JSONObject = [
            "message_uuids": .array(receipts.map { .string($0.messageID.description) }),
            "duplicates": .integer(Int64(receipts.filter(\.duplicate).count)),
        ]
        if receipts.count == 1 { object["message_uuid"] = .string(receipts[0].messageID.description) }
        let refused = receipts.filter { $0.refused != nil }
        if !refused.isEmpty {
            // Accepted at the door but not storable (RELIABILITY F10): named with the reason, so
            // the sender knows these were dead-lettered, not delivered.
            object["refused"] = .array(refused.map {
                ["message_uuid": .string($0.messageID.description), "reason": .string($0.refused ?? "")]
            })
        }
        return .object(object)
    }

    /// The original gateway's reply: a status and the id(s).
    static func compatAccepted(_ receipts: [IngestReceipt]) -> JSONValue {
        var object: JSONObject = ["status": "success"]
        if let first = receipts.first { object["message_uuid"] = .string(first.messageID.description) }
        object["message_uuids"] = .array(receipts.map { .string($0.messageID.description) })
        return .object(object)
    }

    static func page(_ page: MessagePage) -> [UInt8] {
        var out: [UInt8] = Array(#"{"messages":"#.utf8)
        appendArray(page.messages, to: &out)
        out.append(contentsOf: #","next_cursor":"#.utf8)
        if let cursor = page.nextCursor {
            JSONWriter.write(.string(cursor.description), into: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func array(_ messages: [StoredMessage]) -> [UInt8] {
        var out: [UInt8] = []
        appendArray(messages, to: &out)
        return out
    }

    static func appendArray(_ messages: [StoredMessage], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, message) in messages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: message.json)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The acknowledgement frame for one WebSocket ingest frame; also the reply to a NATS
    /// request on the ingest subjects (the same shape, so clients parse one thing).
    public static func webSocketAck(_ result: Result<[IngestReceipt], PlexusError>) -> JSONValue {
        switch result {
        case .success(let receipts):
            var object: JSONObject = ["status": "ok"]
            if receipts.count == 1 { object["message_uuid"] = .string(receipts[0].messageID.description) }
            object["message_uuids"] = .array(receipts.map { .string($0.messageID.description) })
            return .object(object)
        case .failure(let error):
            return ["status": "error", "error": Problem(error).json]
        }
    }
}
