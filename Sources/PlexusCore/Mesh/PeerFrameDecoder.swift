/// Cuts a peer link's byte stream into frames, whatever sizes the reads arrive in.
///
/// A pure state machine (no I/O, no NIO types) so the link handler stays thin and the parser can be
/// fuzzed in milliseconds. Usage: after each read, `feed` the bytes, then call `next()` until it
/// returns nil; at end of stream call `finish()`. Any error ends the link; the decoder stays failed
/// and throws the same error on every later call, so a shell cannot accidentally carry on.
///
/// Memory is bounded by the header check: a frame's header is validated as soon as its 5 bytes are
/// buffered, so an oversized length or a foreign version fails before any body is held, and a
/// drained decoder never holds more than one maximum frame plus one read.
public struct PeerFrameDecoder: Sendable {
    private enum State: Sendable {
        /// The next frame starts at `readIndex`; its header is not yet complete or not yet checked.
        case header
        /// The header at `readIndex` was checked; waiting for its `length`-byte body.
        case body(length: Int)
        /// Bytes are dropped and every call throws this.
        case failed(PeerFrameError)
    }

    /// The largest frame body accepted. Mesh messages are far smaller; the limit stops a faulty or
    /// hostile peer from making this node buffer up to 4 GiB per link.
    public let maxBodyBytes: Int

    private var state: State = .header
    /// Received bytes; those before `readIndex` are consumed and reclaimed by `compact()`.
    private var buffer: [UInt8] = []
    private var readIndex = 0

    /// Capacity kept for reuse once the buffer drains; above this (after a large frame) the storage
    /// is released so an idle link does not pin megabytes.
    static let retainedCapacity = 64 * 1024

    public init(maxBodyBytes: Int = 4 << 20) {
        precondition((1...Int(UInt32.max)).contains(maxBodyBytes),
                     "PeerFrameDecoder maxBodyBytes must be in 1...\(UInt32.max), got \(maxBodyBytes)")
        self.maxBodyBytes = maxBodyBytes
    }

    /// Bytes received and not yet returned as frames (0 once failed).
    public var bufferedBytes: Int { buffer.count - readIndex }

    /// Bytes held in the buffer, consumed ones included: what the memory bound is about.
    var storedBytes: Int { buffer.count }

    /// Appends bytes read from the link. Ignored once the decoder has failed.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if case .failed = state { return }
        // For callers that feed again before draining: reclaim once the consumed prefix is at least
        // as long as the rest, so each byte is moved O(1) times.
        if readIndex > 0, readIndex >= buffer.count - readIndex { compact() }
        if bytes.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil {
            buffer.append(contentsOf: bytes)
        }
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(PeerFrameError) -> PeerFrame? {
        guard let length = try checkedBodyLength() else { return needMoreBytes() }
        let frameSize = PeerFrame.headerSize + length
        guard bufferedBytes >= frameSize else { return needMoreBytes() }
        let start = readIndex + PeerFrame.headerSize
        let body = Array(buffer[start..<start + length])
        readIndex += frameSize
        state = .header
        do {
            return try PeerFrame.decode(body: body)
        } catch {
            throw fail(error)
        }
    }

    /// End of stream: throws `.truncated` if it ended inside a frame. Call after `next()` returned
    /// nil; complete frames still buffered are not an error (they can still be taken with `next()`).
    public mutating func finish() throws(PeerFrameError) {
        guard let length = try checkedBodyLength() else {
            if bufferedBytes > 0 { throw fail(.truncatedHeader(received: bufferedBytes)) }
            return
        }
        let frameSize = PeerFrame.headerSize + length
        if bufferedBytes < frameSize { throw fail(.truncatedFrame(received: bufferedBytes, frameSize: frameSize)) }
    }

    /// The body length of the frame at `readIndex`, checking its header the moment it is complete;
    /// nil while fewer than `headerSize` bytes are buffered.
    private mutating func checkedBodyLength() throws(PeerFrameError) -> Int? {
        switch state {
        case .failed(let error):
            throw error
        case .body(let length):
            return length
        case .header:
            guard bufferedBytes >= PeerFrame.headerSize else { return nil }
            // Version first: another version's length prefix may not mean what ours does.
            let version = buffer[readIndex + 4]
            guard version == PeerFrame.version else { throw fail(.unsupportedVersion(version)) }
            var length = 0
            for i in readIndex..<readIndex + 4 { length = length << 8 | Int(buffer[i]) }
            guard length <= maxBodyBytes else { throw fail(.oversized(length: length, limit: maxBodyBytes)) }
            state = .body(length: length)
            return length
        }
    }

    /// Everything complete has been taken, so only a partial frame remains: move it to the front.
    /// Its bytes stay at the front until it completes, so each byte is moved at most once this way.
    private mutating func needMoreBytes() -> PeerFrame? {
        if readIndex > 0 { compact() }
        return nil
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedCapacity { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        } else {
            buffer.removeSubrange(0..<readIndex)
        }
        readIndex = 0
    }

    private mutating func fail(_ error: PeerFrameError) -> PeerFrameError {
        state = .failed(error)
        buffer = []
        readIndex = 0
        return error
    }
}
