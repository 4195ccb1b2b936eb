import Collections

/// Turns parsed JSON into envelope drafts, accepting the three input shapes people already send:
///
/// 1. a native envelope (`message_exchange` field names);
/// 2. the original gateway's wrapper `{"message": "<a JSON object serialised as a string>"}`,
///    or the same wrapper holding the object itself;
/// 3. a bare object with `topic` and `data` (`data` is an input alias of `message_data`).
///
/// A JSON array is a batch of any of these. Keys that are not envelope fields are kept, not lost:
/// they go into `message_metadata.extra`. Every error names the failing field as a JSON pointer.
public enum EnvelopeDecoder {
    static let knownKeys: Set<String> = [
        "message_uuid", "origin_ts", "ack_ts", "topic", "message_type", "source_subject_id",
        "destination_subject_ids", "message_data", "data", "message_metadata", "hops",
        "policy_decision",
    ]
    /// Longest subject id or message type accepted, in UTF-8 bytes.
    public static let maxIdentifierBytes = 256

    /// Decodes a single message or a batch.
    public static func decodeBatch(_ value: JSONValue, limits: IngestLimits) throws(PlexusError) -> [EnvelopeDraft] {
        if case .array(let items) = value {
            if items.isEmpty { throw PlexusError(.invalidField, "the batch is empty") }
            if items.count > limits.maxBatch {
                throw PlexusError(.tooLarge, "the batch has \(items.count) messages; the limit is \(limits.maxBatch)")
            }
            var drafts: [EnvelopeDraft] = []
            drafts.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                do throws(PlexusError) {
                    drafts.append(try decode(item, limits: limits))
                } catch {
                    throw error.located(under: "/\(index)")
                }
            }
            return drafts
        }
        return [try decode(value, limits: limits)]
    }

    /// Decodes one message in any of the accepted shapes.
    public static func decode(_ value: JSONValue, limits: IngestLimits) throws(PlexusError) -> EnvelopeDraft {
        guard case .object(let object) = value else {
            throw PlexusError(.invalidField, "a message must be a JSON object, not \(value.kindName)")
        }
        if object["topic"] == nil, let wrapped = object["message"] {
            return try unwrap(wrapped, limits: limits)
        }
        return try decodeEnvelope(object)
    }

    /// The original gateway's `{"message": ...}` wrapper.
    static func unwrap(_ wrapped: JSONValue, limits: IngestLimits) throws(PlexusError) -> EnvelopeDraft {
        switch wrapped {
        case .string(let text):
            let inner: JSONValue
            do {
                inner = try JSONParser.parse(text, limits: JSONLimits(maxDepth: limits.maxDepth))
            } catch {
                let code: PlexusError.Code = error.code == .tooDeep ? .tooDeep : .invalidJSON
                throw PlexusError(code, "\"message\" does not hold a valid JSON object: \(error.message)", pointer: "/message")
            }
            guard case .object(let object) = inner else {
                throw PlexusError(.invalidField, "\"message\" must hold a JSON object, not \(inner.kindName)", pointer: "/message")
            }
            do throws(PlexusError) { return try decodeEnvelope(object) } catch { throw error.located(under: "/message") }
        case .object(let object):
            do throws(PlexusError) { return try decodeEnvelope(object) } catch { throw error.located(under: "/message") }
        default:
            throw PlexusError(.invalidField, "\"message\" must be a JSON object or a string holding one, not \(wrapped.kindName)", pointer: "/message")
        }
    }

    static func decodeEnvelope(_ object: JSONObject) throws(PlexusError) -> EnvelopeDraft {
        guard let topicValue = object["topic"], !topicValue.isNull else {
            throw PlexusError(.missingTopic, "the message has no \"topic\"", pointer: "/topic")
        }
        guard case .string(let topicText) = topicValue else {
            throw PlexusError(.invalidTopic, "\"topic\" must be a string, not \(topicValue.kindName)", pointer: "/topic")
        }
        if topicText.isEmpty { throw PlexusError(.missingTopic, "\"topic\" is empty", pointer: "/topic") }
        var draft: EnvelopeDraft
        do throws(PlexusError) { draft = EnvelopeDraft(topic: try Topic(topicText)) } catch { throw error.located(under: "/topic") }

        if let value = object["message_uuid"], !value.isNull {
            guard case .string(let text) = value, let id = MessageID(string: text) else {
                throw PlexusError(.invalidField, "\"message_uuid\" must be a UUID string like 0192f0c4-7a10-7cc1-9a36-2f8e4b5d6a7b", pointer: "/message_uuid")
            }
            draft.messageID = id
        }
        draft.originTS = try timestamp(object["origin_ts"], field: "origin_ts")
        draft.ackTS = try timestamp(object["ack_ts"], field: "ack_ts")
        if let value = object["message_type"], !value.isNull {
            draft.messageType = try identifier(value, field: "message_type")
        }
        if let value = object["source_subject_id"], !value.isNull {
            draft.sourceSubjectID = try identifier(value, field: "source_subject_id")
        }
        if let value = object["destination_subject_ids"], !value.isNull {
            switch value {
            case .string:
                draft.destinationSubjectIDs = [try identifier(value, field: "destination_subject_ids")]
            case .array(let items):
                var ids: [String] = []
                ids.reserveCapacity(items.count)
                for (index, item) in items.enumerated() {
                    let id = try identifier(item, field: "destination_subject_ids/\(index)")
                    if !ids.contains(id) { ids.append(id) }
                }
                draft.destinationSubjectIDs = ids
            default:
                throw PlexusError(.invalidField, "\"destination_subject_ids\" must be an array of strings, not \(value.kindName)", pointer: "/destination_subject_ids")
            }
        }
        let data = object["message_data"]
        let alias = object["data"]
        if data != nil, alias != nil {
            throw PlexusError(.invalidField, "both \"message_data\" and its alias \"data\" are present; send one", pointer: "/data")
        }
        draft.messageData = data ?? alias ?? .null
        if let value = object["message_metadata"], !value.isNull {
            guard case .object(let metadata) = value else {
                throw PlexusError(.invalidField, "\"message_metadata\" must be an object, not \(value.kindName)", pointer: "/message_metadata")
            }
            draft.messageMetadata = metadata
        }
        if let value = object["hops"], !value.isNull {
            draft.hops = try hops(value)
        }
        if let value = object["policy_decision"], !value.isNull {
            // Read so that a relay keeps the origin's decision; the origin's checker replaces
            // whatever a client put here (NodeRuntime), so it cannot be forged from outside.
            guard case .object(let decision) = value else {
                throw PlexusError(.invalidField, "\"policy_decision\" must be an object, not \(value.kindName)", pointer: "/policy_decision")
            }
            draft.policyDecision = decision
        }
        var extra: JSONObject = [:]
        for (key, value) in object where !knownKeys.contains(key) {
            extra[key] = value
        }
        if !extra.isEmpty {
            if case .object(var existing)? = draft.messageMetadata["extra"] {
                for (key, value) in extra where existing[key] == nil { existing[key] = value }
                draft.messageMetadata["extra"] = .object(existing)
            } else if draft.messageMetadata["extra"] == nil {
                draft.messageMetadata["extra"] = .object(extra)
            } else {
                throw PlexusError(.invalidField, "unknown fields \(extra.keys.sorted()) cannot be kept because message_metadata.extra is not an object", pointer: "/message_metadata/extra")
            }
        }
        return draft
    }

    /// RFC 3339 strings, or Unix epoch seconds as a number (what Python's `time.time()` sends).
    static func timestamp(_ value: JSONValue?, field: String) throws(PlexusError) -> Timestamp? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .string(let text):
            guard let ts = Timestamp(rfc3339: text) else {
                throw PlexusError(.invalidField, "\"\(field)\" must be an RFC 3339 timestamp like 2026-11-29T18:42:03.123Z", pointer: "/\(field)")
            }
            return ts
        case .integer(let seconds) where Timestamp.unixSecondsRange.contains(seconds):
            return Timestamp(microseconds: seconds * 1_000_000)
        case .double(let seconds) where seconds >= 0 && seconds < Double(Timestamp.unixSecondsRange.upperBound):
            return Timestamp(seconds: seconds)
        default:
            throw PlexusError(.invalidField, "\"\(field)\" must be an RFC 3339 string or Unix seconds, not \(value.kindName)", pointer: "/\(field)")
        }
    }

    /// Subject ids and message types: short, printable, no whitespace.
    static func identifier(_ value: JSONValue, field: String) throws(PlexusError) -> String {
        guard case .string(let text) = value else {
            throw PlexusError(.invalidField, "\"\(field)\" must be a string, not \(value.kindName)", pointer: "/\(field)")
        }
        if let problem = identifierProblem(text) {
            throw PlexusError(.invalidField, "\"\(field)\" \(problem)", pointer: "/\(field)")
        }
        return text
    }

    /// What is wrong with `text` as a subject id or message type, or nil when nothing is.
    static func identifierProblem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.utf8.count > maxIdentifierBytes { return "is longer than \(maxIdentifierBytes) bytes" }
        if text.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) { return "contains whitespace or a control character" }
        return nil
    }

    static func hops(_ value: JSONValue) throws(PlexusError) -> [Hop] {
        guard case .array(let items) = value else {
            throw PlexusError(.invalidField, "\"hops\" must be an array of {node, ts}", pointer: "/hops")
        }
        var result: [Hop] = []
        for (index, item) in items.enumerated() {
            guard case .object(let hop) = item, case .string(let node)? = hop["node"],
                  let ts = try? timestamp(hop["ts"], field: "ts")
            else {
                throw PlexusError(.invalidField, "hop \(index) must be {\"node\": string, \"ts\": RFC 3339}", pointer: "/hops/\(index)")
            }
            result.append(Hop(node: node, ts: ts))
        }
        return result
    }
}

extension JSONValue {
    /// The JSON type's name, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
