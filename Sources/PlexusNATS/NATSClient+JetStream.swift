import Foundation
import NIOCore

/// The part of JetStream the node needs: acknowledged publishes with de-duplication, and
/// creating/inspecting a stream (for set-up, tests and the benchmark). JetStream's API is
/// request/reply on `$JS.API.…` subjects with JSON bodies.
extension NATSClient {
    /// Publishes into a stream and waits for the server's acknowledgement, so the message is
    /// stored (on disk for file storage) when this returns. `messageID` becomes `Nats-Msg-Id`:
    /// a retry with the same id inside the stream's duplicate window is acknowledged with
    /// `duplicate == true` instead of being stored twice.
    public func jetStreamPublish(
        _ payload: ByteBuffer, subject: String, messageID: String? = nil, headers: NATSHeaders? = nil,
        timeout: Duration = .seconds(5)
    ) async throws -> JetStreamPubAck {
        var headers = headers ?? NATSHeaders()
        if let messageID { headers.set("Nats-Msg-Id", messageID) }
        let reply: NATSMessage
        do {
            reply = try await request(payload, subject: subject, headers: headers, timeout: timeout)
        } catch let error as NATSClientError where error.code == .noResponders {
            throw NATSClientError(.noResponders, "no JetStream stream captures subject \(subject)")
        }
        return try Self.decodeAPIResponse(JetStreamPubAck.self, from: reply, operation: "publish to \(subject)")
    }

    /// Creates a stream, or accepts one that already exists with the same subjects and storage
    /// (so a node can call it at every start).
    @discardableResult
    public func jetStreamAddStream(
        name: String, subjects: [String], storage: JetStreamStorage = .file, timeout: Duration = .seconds(10)
    ) async throws -> JetStreamStreamInfo {
        try Self.validateStreamName(name)
        for subject in subjects { try NATSValidation.validateSubscribeSubject(subject) }
        struct Request: Encodable {
            var name: String
            var subjects: [String]
            var storage: JetStreamStorage
        }
        let body = try JSONEncoder().encode(Request(name: name, subjects: subjects, storage: storage))
        let reply = try await jetStreamAPI("STREAM.CREATE.\(name)", body: ByteBuffer(bytes: body), timeout: timeout)
        do {
            return try Self.decodeAPIResponse(JetStreamStreamInfo.self, from: reply, operation: "create stream \(name)")
        } catch let error as NATSClientError where error.message.contains("10058") {
            // "stream name already in use": fine if what exists is what was asked for.
            let existing = try await jetStreamStreamInfo(name: name, timeout: timeout)
            guard Set(existing.config.subjects) == Set(subjects), existing.config.storage == storage else { throw error }
            return existing
        }
    }

    public func jetStreamStreamInfo(name: String, timeout: Duration = .seconds(10)) async throws -> JetStreamStreamInfo {
        try Self.validateStreamName(name)
        let reply = try await jetStreamAPI("STREAM.INFO.\(name)", body: ByteBuffer(), timeout: timeout)
        return try Self.decodeAPIResponse(JetStreamStreamInfo.self, from: reply, operation: "stream info \(name)")
    }

    private func jetStreamAPI(_ call: String, body: ByteBuffer, timeout: Duration) async throws -> NATSMessage {
        do {
            return try await request(body, subject: "$JS.API." + call, timeout: timeout)
        } catch let error as NATSClientError where error.code == .noResponders {
            throw NATSClientError(.jetStream, "JetStream is not enabled on the server (no responder for $JS.API.\(call))")
        }
    }

    static func validateStreamName(_ name: String) throws(NATSClientError) {
        guard !name.isEmpty else { throw NATSClientError(.jetStream, "stream name is empty") }
        if let bad = name.utf8.first(where: { NATSValidation.isSeparatorOrControl($0) || ".*>/\\".utf8.contains($0) }) {
            throw NATSClientError(.jetStream, "stream name \(NATSValidation.quoted(name)) contains \(NATSValidation.describe(bad))")
        }
    }

    /// JetStream answers either the result or `{"error":{"code":…,"err_code":…,"description":…}}`.
    static func decodeAPIResponse<T: Decodable>(_ type: T.Type, from reply: NATSMessage, operation: String) throws -> T {
        let data = Data(reply.payload.readableBytesView)
        let decoder = JSONDecoder()
        if let envelope = try? decoder.decode(JetStreamErrorEnvelope.self, from: data), let error = envelope.error {
            throw NATSClientError(.jetStream, "JetStream refused \(operation): \(error.description ?? "no description") (code \(error.code), err_code \(error.errCode.map(String.init) ?? "-"))")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            let text = String(decoding: reply.payload.readableBytesView.prefix(200), as: UTF8.self)
            throw NATSClientError(.jetStream, "JetStream answered \(operation) with something unexpected: \(text.debugDescription)")
        }
    }
}

/// The error shape of every JetStream API reply.
private struct JetStreamErrorEnvelope: Decodable {
    struct APIError: Decodable {
        var code: Int
        var errCode: Int?
        var description: String?
        enum CodingKeys: String, CodingKey { case code, errCode = "err_code", description }
    }

    var error: APIError?
}
