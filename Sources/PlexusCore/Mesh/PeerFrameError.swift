/// A peer link carried bytes that are not a valid frame. Any of these ends the link: after one bad
/// frame the stream cannot be trusted to be in step, so the shell sends a `goodbye` carrying
/// `message` and closes.
///
/// `message` names the numbers involved (sizes, versions, tags, byte offsets) so an operator can
/// tell a version skew from a truncated stream from a hostile peer without a packet capture.
public struct PeerFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The frame header's version byte is not `PeerFrame.version`.
        case unsupportedVersion
        /// The header announces a body larger than the decoder accepts.
        case oversized
        /// The stream ended inside a frame.
        case truncated
        /// The body's first byte is neither a mesh message tag nor a link frame tag.
        case unknownTag
        /// The tag is known but the body does not decode.
        case malformed
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func unsupportedVersion(_ version: UInt8) -> PeerFrameError {
        PeerFrameError(.unsupportedVersion, "version \(version) is not supported (this node speaks \(PeerFrame.version))")
    }

    static func oversized(length: Int, limit: Int) -> PeerFrameError {
        PeerFrameError(.oversized, "frame of \(length) bytes exceeds the \(limit)-byte limit")
    }

    static func truncatedHeader(received: Int) -> PeerFrameError {
        PeerFrameError(.truncated, "connection closed \(received) bytes into a \(PeerFrame.headerSize)-byte frame header")
    }

    static func truncatedFrame(received: Int, frameSize: Int) -> PeerFrameError {
        PeerFrameError(.truncated, "connection closed \(received) bytes into a \(frameSize)-byte frame")
    }

    static func unknownTag(_ tag: UInt8) -> PeerFrameError {
        let hex = String(tag, radix: 16, uppercase: true)
        return PeerFrameError(.unknownTag, "unknown frame tag 0x\(hex.count < 2 ? "0" + hex : hex)")
    }

    static let emptyBody = PeerFrameError(.malformed, "malformed frame: empty body has no tag")

    /// `what` is the frame kind ("hello", "mesh message"); the wire error supplies field and offset.
    static func malformed(_ what: String, _ error: MeshWireError) -> PeerFrameError {
        PeerFrameError(.malformed, "malformed \(what): \(error.field): \(error.code.rawValue) at byte \(error.offset)")
    }
}
