import Hummingbird
import NIOCore
import PlexusCore

/// An RFC 9457 problem response (`application/problem+json`) with a stable `type` per error code,
/// so clients can switch on `type` and people can read `detail`.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var error: PlexusError
    public var retryAfterSeconds: Int?

    public init(_ error: PlexusError, status: HTTPResponse.Status? = nil, retryAfterSeconds: Int? = nil) {
        self.error = error
        self.status = status ?? Self.status(for: error.code)
        self.retryAfterSeconds = retryAfterSeconds ?? error.retryAfterSeconds ?? (error.code == .unavailable ? 1 : nil)
    }

    public static func status(for code: PlexusError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidJSON, .tooDeep, .missingTopic, .invalidTopic, .invalidField, .invalidQuery: .badRequest
        case .tooLarge: .contentTooLarge
        case .invalidData: .unprocessableContent
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .notFound: .notFound
        case .conflict: .conflict
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    public static let typeBase = "https://plexus.dev/problems/"

    /// The problem document; also sent inside WebSocket error frames.
    public var json: JSONValue {
        var object: JSONObject = [
            "type": .string(Self.typeBase + error.code.rawValue),
            "title": .string(status.reasonPhrase),
            "status": .integer(Int64(status.code)),
            "detail": .string(error.message),
        ]
        if let pointer = error.pointer { object["pointer"] = .string(pointer) }
        // WebSocket and edge clients see no headers: the wait travels in the body too.
        if error.code == .rateLimited, let retryAfterSeconds { object["retry_after"] = .integer(Int64(retryAfterSeconds)) }
        return .object(object)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json.serialized())))
    }
}

extension Response {
    /// A JSON response from bytes already serialised (log reads are served without re-encoding).
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(value.serialized(), status: status)
    }
}
