extension HumanSession {
    /// The fields this node interprets; any other field of a created session is kept in `extra`.
    static let knownFields: Set<String> = [
        "session_id", "subject_id", "message_data", "message_data_template", "reception_channel_id", "expiry_date", "status",
        "dsl_execution_id", "version", "created_at", "updated_at", "round", "max_reprompts", "errors", "response_data", "approvers",
        "quorum", "approvals", "declines", "reason", "result_message_uuid", "result_published", "delivery_attempts", "next_delivery_at",
        "expires_in",
    ]

    /// The session document: the original fields first (API-COMPAT.md), then Plexus's.
    public var json: JSONValue {
        var object: JSONObject = [
            "session_id": .string(id),
            "subject_id": .string(subjectID),
            "message_data": messageData,
            "message_data_template": templateSource ?? .null,
            "reception_channel_id": .string(channelID),
            // Epoch seconds, as the original stored it; whole seconds stay integers.
            "expiry_date": expiresAt.map(Self.epochSeconds) ?? .null,
            "status": .string(status.rawValue),
            "dsl_execution_id": dslExecutionID,
            "version": .integer(version),
            "created_at": .string(createdAt.rfc3339),
            "updated_at": .string(updatedAt.rfc3339),
            "round": .integer(Int64(round)),
            "max_reprompts": .integer(Int64(maxReprompts)),
            "errors": .array(errors.map(\.sessionJSON)),
            "response_data": responseData ?? .null,
            "approvers": .array(approvers.map { .string($0) }),
            "quorum": .integer(Int64(quorum)),
            "approvals": .array(approvals.map(\.json)),
            "declines": .array(declines.map(\.json)),
            "reason": reason.map { .string($0) } ?? .null,
            "result_message_uuid": resultMessageID.map { .string($0.description) } ?? .null,
            "result_published": .bool(resultPublished),
            "delivery_attempts": .integer(Int64(deliveryAttempts)),
            "next_delivery_at": nextDeliveryAt.map { .string($0.rfc3339) } ?? .null,
        ]
        for (key, value) in extra where object[key] == nil { object[key] = value }
        return .object(object)
    }

    public static func epochSeconds(_ time: Timestamp) -> JSONValue {
        time.microseconds % 1_000_000 == 0 ? .integer(time.microseconds / 1_000_000) : .double(time.seconds)
    }

    /// Rebuilds a session from its stored document.
    public init(json: JSONValue) throws(PlexusError) {
        guard case .object(let object) = json else { throw PlexusError(.invalidField, "a stored session is not a JSON object") }
        func string(_ key: String) throws(PlexusError) -> String {
            guard let value = object[key]?.stringValue else { throw PlexusError(.invalidField, "stored session: \(key) is missing") }
            return value
        }
        func time(_ key: String) throws(PlexusError) -> Timestamp {
            guard let value = Timestamp(rfc3339: try string(key)) else { throw PlexusError(.invalidField, "stored session: \(key) is not a time") }
            return value
        }
        func int(_ key: String) -> Int { Int(object[key]?.integerValue ?? 0) }
        guard let status = SessionStatus(rawValue: try string("status")) else {
            throw PlexusError(.invalidField, "stored session: unknown status")
        }
        self.init(
            id: try string("session_id"), subjectID: try string("subject_id"), messageData: object["message_data"] ?? .object([:]),
            // `JSONValue?.none`: a bare `nil` would be `JSONValue.null` (ExpressibleByNilLiteral).
            templateSource: object["message_data_template"].flatMap { $0 == .null ? JSONValue?.none : $0 },
            channelID: try string("reception_channel_id"),
            expiresAt: object["expiry_date"]?.doubleValue.map { Timestamp(seconds: $0) },
            createdAt: try time("created_at"), maxReprompts: int("max_reprompts"),
            approvers: object["approvers"]?.arrayValue?.compactMap(\.stringValue) ?? [], quorum: max(1, int("quorum")),
            dslExecutionID: object["dsl_execution_id"] ?? .null
        )
        self.status = status
        self.version = object["version"]?.integerValue ?? 1
        self.updatedAt = try time("updated_at")
        self.round = max(1, int("round"))
        self.errors = (object["errors"]?.arrayValue ?? []).compactMap(MessageTemplateViolation.init(sessionJSON:))
        self.responseData = object["response_data"].flatMap { $0 == .null ? JSONValue?.none : $0 }
        var approvals: [SessionApproval] = []
        for value in object["approvals"]?.arrayValue ?? [] { approvals.append(try SessionApproval(json: value)) }
        self.approvals = approvals
        var declines: [SessionApproval] = []
        for value in object["declines"]?.arrayValue ?? [] { declines.append(try SessionApproval(json: value)) }
        self.declines = declines
        self.reason = object["reason"]?.stringValue
        self.resultMessageID = object["result_message_uuid"]?.stringValue.flatMap { MessageID(string: $0) }
        self.resultPublished = object["result_published"]?.boolValue ?? false
        self.deliveryAttempts = int("delivery_attempts")
        self.nextDeliveryAt = object["next_delivery_at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        self.extra = object.filter { !Self.knownFields.contains($0.key) }
    }
}

extension MessageTemplateViolation {
    /// A reply error as sessions show it: where in the reply, which rule, what was wrong.
    public var sessionJSON: JSONValue {
        ["pointer": .string(pointer), "rule": .string(rule), "message": .string(message), "schema_pointer": .string(schemaPointer)]
    }

    init?(sessionJSON json: JSONValue) {
        guard let pointer = json["pointer"]?.stringValue, let rule = json["rule"]?.stringValue, let message = json["message"]?.stringValue else {
            return nil
        }
        self.init(pointer: pointer, rule: rule, message: message, schemaPointer: json["schema_pointer"]?.stringValue ?? "")
    }
}
