#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Plain blocking TCP for the tests that must misbehave in ways an HTTP client library will not:
/// a lying Content-Length, a WebSocket client that never reads.
enum RawHTTP {
    /// Connects to 127.0.0.1:port, returning the socket. `receiveBuffer` shrinks SO_RCVBUF so a
    /// client that stops reading backs up quickly.
    static func connect(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect() failed")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the peer closes, the timeout passes, or `until` appears.
    static func read(_ fd: Int32, until marker: String? = nil) -> String {
        String(decoding: readBytes(fd, until: marker), as: UTF8.self)
    }

    static func readBytes(_ fd: Int32, until marker: String? = nil) -> [UInt8] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            if let marker, String(decoding: data, as: UTF8.self).contains(marker) { break }
        }
        return data
    }

    /// One request, the whole reply (or what arrived within the timeout).
    static func send(port: Int, _ request: String) async throws -> String {
        try await onThread {
            let fd = try connect(port: port)
            defer { close(fd) }
            write(fd, request)
            return read(fd, until: "}")
        }
    }

    /// Runs blocking socket code on its own thread: blocking a thread of Swift's cooperative pool
    /// (two on this machine) would starve the node under test, which runs on the same pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}

extension RawHTTP {
    static let upgradeHeaders = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    /// Every byte the node sends for a WebSocket upgrade of `path` until it closes the
    /// connection: for a refused session, the 101, the problem frame and the close frame. A raw
    /// socket, not a client library: a library can wait forever for its side of the close
    /// handshake after the node closed (seen in CI), and the bytes are what is under test.
    static func refusedUpgrade(port: Int, path: String) async throws -> [UInt8] {
        try await onThread {
            let fd = try connect(port: port)
            defer { close(fd) }
            write(fd, "GET \(path) HTTP/1.1\r\nHost: x\r\n" + upgradeHeaders)
            return readBytes(fd)
        }
    }

    /// A masked client frame (RFC 6455 §5.2) carrying arbitrary bytes, valid or not.
    /// A masked client frame; `fin: false` for all but the last fragment of a message.
    static func clientFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        precondition(payload.count < 65_536)
        let mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        let length: [UInt8] = payload.count < 126 ? [0x80 | UInt8(payload.count)]
            : [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        return [(fin ? 0x80 : 0) | opcode] + length + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// The unmasked frames a server sent, in order, as (opcode, payload); stops at a truncated one.
    static func serverFrames(_ bytes: [UInt8]) -> [(opcode: UInt8, payload: [UInt8])] {
        var frames: [(opcode: UInt8, payload: [UInt8])] = []
        var at = 0
        while at + 2 <= bytes.count {
            var length = Int(bytes[at + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard at + 4 <= bytes.count else { break }
                length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                header = 4
            } else if length == 127 {
                break
            }
            guard at + header + length <= bytes.count else { break }
            frames.append((bytes[at] & 0x0F, Array(bytes[(at + header)..<(at + header + length)])))
            at += header + length
        }
        return frames
    }

    static func write(_ fd: Int32, bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
