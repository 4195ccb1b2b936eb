import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing the PEM files of CAs and nodes. Private keys must never be readable by
/// other users, not even for a moment, so files are created with their final mode by `open(2)`
/// (never written first and chmod-ed later) and replaced by an atomic rename.
enum IdentityFiles {
    /// Mode for private keys.
    static let secret: mode_t = 0o600
    /// Mode for certificates (public material).
    static let `public`: mode_t = 0o644

    static func read(_ path: String) throws(IdentityError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw IdentityError(.fileMissing, "\(path): no such file")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IdentityError(.badPEM, "\(path): cannot read as UTF-8 text: \(error.localizedDescription)")
        }
    }

    static func createDirectory(_ path: String) throws(IdentityError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw IdentityError(.fileMissing, "\(path): cannot create directory: \(error.localizedDescription)")
        }
    }

    /// Writes `text` to `path` with `mode`. With `overwrite` false an existing file is an error
    /// (the check and the creation are one `O_EXCL` open, so there is no race).
    static func write(_ text: String, to path: String, mode: mode_t, overwrite: Bool) throws(IdentityError) {
        if !overwrite {
            try writeNew(text, to: path, mode: mode)
            return
        }
        let temporary = "\(path).tmp-\(UInt64.random(in: 0...UInt64.max))"
        try writeNew(text, to: temporary, mode: mode)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw IdentityError(.fileMissing, "\(path): cannot write: \(reason)")
        }
    }

    private static func writeNew(_ text: String, to path: String, mode: mode_t) throws(IdentityError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw IdentityError(.fileMissing, "\(path) already exists; refusing to overwrite it")
            }
            throw IdentityError(.fileMissing, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw IdentityError(.fileMissing, "\(path): cannot write: \(reason)")
            }
            written += n
        }
    }
}

/// `write(2)`, out of reach of `IdentityFiles.write`'s name inside the enum.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
