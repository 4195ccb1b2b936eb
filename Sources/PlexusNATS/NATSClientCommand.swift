import Foundation
import NIOCore

/// One operation the client sends. Encoding validates first, so nothing malformed (a subject
/// with a space or line end, a wildcard publish, a header that ends the header block early)
/// reaches the wire whoever built the command.
public enum NATSClientCommand: Sendable, Hashable {
    case connect(NATSConnectOptions)
    case pub(subject: String, replyTo: String?, payload: ByteBuffer)
    case hpub(subject: String, replyTo: String?, headers: NATSHeaders, payload: ByteBuffer)
    case sub(subject: String, queueGroup: String?, sid: Int)
    case unsub(sid: Int, max: Int?)
    case ping
    case pong

    /// PUB, or HPUB when there are headers.
    public static func publish(subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: ByteBuffer) -> NATSClientCommand {
        if let headers, !headers.isEmpty {
            return .hpub(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
        }
        return .pub(subject: subject, replyTo: replyTo, payload: payload)
    }

    public func validate() throws(NATSClientError) {
        switch self {
        case .connect, .ping, .pong:
            return
        case .pub(let subject, let replyTo, _):
            try NATSValidation.validatePublishSubject(subject)
            if let replyTo { try NATSValidation.validateReplySubject(replyTo) }
        case .hpub(let subject, let replyTo, let headers, _):
            try NATSValidation.validatePublishSubject(subject)
            if let replyTo { try NATSValidation.validateReplySubject(replyTo) }
            try headers.validate()
        case .sub(let subject, let queueGroup, let sid):
            try NATSValidation.validateSubscribeSubject(subject)
            if let queueGroup { try NATSValidation.validateQueueGroup(queueGroup) }
            guard sid >= 0 else { throw NATSClientError(.invalidConfiguration, "sid \(sid) is negative") }
        case .unsub(let sid, let max):
            guard sid >= 0 else { throw NATSClientError(.invalidConfiguration, "sid \(sid) is negative") }
            if let max, max < 0 { throw NATSClientError(.invalidConfiguration, "UNSUB max \(max) is negative") }
        }
    }

    /// Bytes of payload (plus headers) as the server counts them against `max_payload`.
    public var payloadSize: Int {
        switch self {
        case .pub(_, _, let payload): payload.readableBytes
        case .hpub(_, _, let headers, let payload): headers.encodedLength + payload.readableBytes
        default: 0
        }
    }

    /// Validates, then appends the wire form to `buffer`.
    public func encode(into buffer: inout ByteBuffer) throws(NATSClientError) {
        try validate()
        switch self {
        case .connect(let options):
            let json: Data
            do {
                json = try JSONEncoder().encode(options)
            } catch {
                throw NATSClientError(.invalidConfiguration, "CONNECT options do not encode as JSON: \(error)")
            }
            buffer.writeString("CONNECT ")
            buffer.writeBytes(json)
            buffer.writeString("\r\n")
        case .pub(let subject, let replyTo, let payload):
            buffer.writeString("PUB ")
            buffer.writeString(subject)
            if let replyTo { buffer.writeString(" " + replyTo) }
            buffer.writeString(" \(payload.readableBytes)\r\n")
            buffer.writeImmutableBuffer(payload)
            buffer.writeString("\r\n")
        case .hpub(let subject, let replyTo, let headers, let payload):
            let headerLength = headers.encodedLength
            buffer.writeString("HPUB ")
            buffer.writeString(subject)
            if let replyTo { buffer.writeString(" " + replyTo) }
            buffer.writeString(" \(headerLength) \(headerLength + payload.readableBytes)\r\n")
            headers.encode(into: &buffer)
            buffer.writeImmutableBuffer(payload)
            buffer.writeString("\r\n")
        case .sub(let subject, let queueGroup, let sid):
            buffer.writeString("SUB ")
            buffer.writeString(subject)
            if let queueGroup { buffer.writeString(" " + queueGroup) }
            buffer.writeString(" \(sid)\r\n")
        case .unsub(let sid, let max):
            buffer.writeString(max.map { "UNSUB \(sid) \($0)\r\n" } ?? "UNSUB \(sid)\r\n")
        case .ping:
            buffer.writeString("PING\r\n")
        case .pong:
            buffer.writeString("PONG\r\n")
        }
    }

    /// The encoded bytes in a fresh buffer.
    public func encoded() throws(NATSClientError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return buffer
    }
}
