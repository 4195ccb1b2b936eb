#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A child process of a test, started with `posix_spawn`: the tests' (and the benchmarks') one way
/// to run a binary.
///
/// Why not Foundation's `Process`: in Swift 6.3.1 its `run()` lists `/proc/self/fd` to close the
/// parent's descriptors in the child and copies each entry's whole 256-byte `d_name`, reading
/// past readdir's buffer; a fresh-clone CI run died of it with SIGSEGV in `memmove` (fixed
/// upstream in swift-corelibs-foundation PR #5472, which saw 1 crash in 5–20 runs). Here the
/// child closes every descriptor from 3 up with glibc's `posix_spawn_file_actions_addclosefrom_np`
/// (one `close_range` in the child), so the test process never walks its descriptor table, and
/// no pipe or socket of the test leaks into a long-lived child (a leaked pipe end would keep a
/// reader from ever seeing EOF; a leaked listening socket would keep its port bound).
///
/// The child also starts with an empty signal mask and default dispositions: a child spawned from
/// a Swift concurrency thread would otherwise inherit that thread's blocked signals, and SIGTERM
/// would never arrive.
///
/// Linux only (glibc ≥ 2.34), as the tests' servers are: CI and the benchmarks run on Debian.
public final class ChildProcess: Sendable {
    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// /dev/null.
        case null
        /// A file, created if missing, appended to.
        case file(String)
        /// A pipe the test reads with `read()` / `readToEnd()` (stdout only).
        case pipe
        /// The same place as stdout (stderr only).
        case stdout
        /// Where this process's own stdout or stderr goes.
        case inherit
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let pid: pid_t
    public let executable: String
    /// The write end of the child's stdin when `stdinPipe` was asked for, until `closeStdin`.
    private let stdinFD: Mutex<Int32?>
    /// The read end of the child's stdout when `stdout: .pipe` was asked for.
    private let stdoutFD: Int32?
    /// The exit status once reaped: exit code, or 128 + signal number for a killed child.
    private let reaped = Mutex<Int32?>(nil)

    /// Spawns `executable` with `arguments` (argv[0] is the executable itself) in the test's
    /// environment.
    /// - Parameter stdinPipe: give the child a pipe as stdin (write with `writeStdin`); else /dev/null.
    public init(_ executable: String, _ arguments: [String], stdinPipe: Bool = false,
                stdout: Output = .null, stderr: Output = .null) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Descriptors the parent closes once the child has its copies.
        var parentCloses: [Int32] = []
        defer { parentCloses.forEach { _ = close($0) } }
        var opened: [Int32] = []
        func cleanUpOnThrow() {
            opened.forEach { _ = close($0) }
            parentCloses = []  // closed just now: the defer must not close them (or a reused number) again
        }

        var stdinWriter: Int32?
        if stdinPipe {
            let (read, write) = try Self.pipe()
            opened += [read, write]
            posix_spawn_file_actions_adddup2(&actions, read, 0)
            parentCloses.append(read)
            stdinWriter = write
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }

        var stdoutReader: Int32?
        func route(_ output: Output, to fd: Int32) throws {
            switch output {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .pipe:
                guard fd == 1 else { throw Failure("only stdout can be a pipe") }
                let (read, write) = try Self.pipe()
                opened += [read, write]
                posix_spawn_file_actions_adddup2(&actions, write, 1)
                parentCloses.append(write)
                stdoutReader = read
            case .stdout:
                guard fd == 2 else { throw Failure("only stderr can follow stdout") }
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            case .inherit:
                break  // the child keeps this process's descriptor (closing starts at 3)
            }
        }
        do {
            try route(stdout, to: 1)
            try route(stderr, to: 2)
        } catch {
            cleanUpOnThrow()
            throw error
        }
        do {
            try Self.closeFrom3(&actions)
        } catch {
            cleanUpOnThrow()
            throw error
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvPointer in
            posix_spawn(&child, executable, &actions, &attributes,
                        UnsafeMutablePointer(mutating: argvPointer.baseAddress!), environ)
        }
        guard result == 0 else {
            cleanUpOnThrow()
            throw Failure("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        stdinFD = Mutex(stdinWriter)
        stdoutFD = stdoutReader
    }

    deinit {
        // Never leave a child running or a zombie behind.
        if isRunning { _ = kill(pid, SIGKILL) }
        waitForExit()
        closeStdin()
        if let stdoutFD { _ = close(stdoutFD) }
    }

    /// Runs a binary to completion with stdout and stderr in one pipe.
    public static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, stdout: .pipe, stderr: .stdout)
        let output = child.readToEnd()
        return (child.waitForExit(), output)
    }

    /// Whether the child still runs (reaps it if it has exited).
    public var isRunning: Bool {
        reaped.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            switch waitpid(pid, &raw, WNOHANG) {
            case pid:
                status = Self.exitStatus(raw)
                return false
            case -1 where errno == ECHILD:
                // Not our child any more (cannot happen: only this lock reaps): never wait on it.
                status = -1
                return false
            default:
                return true
            }
        }
    }

    /// Sends `signal` unless the child has been reaped. Under the lock that reaping takes, so
    /// the pid cannot have been reused by another process meanwhile.
    public func signal(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// SIGKILL and wait: the child vanishes without closing anything gracefully.
    public func kill9() {
        signal(SIGKILL)
        waitForExit()
    }

    /// Blocks until the child exits; its exit code, or 128 + the signal that killed it.
    /// Waits with `WNOWAIT` (the child stays a zombie) and reaps only under the lock: any number
    /// of threads can wait at once, and each gets the status.
    @discardableResult
    public func waitForExit() -> Int32 {
        while true {
            if let status = reaped.withLock({ $0 }) { return status }
            var info = siginfo_t()
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR { continue }
            // Exited (or reaped by another thread meanwhile): `isRunning` records the status.
            _ = isRunning
        }
    }

    /// `waitForExit` on a thread of its own: blocking one of the cooperative pool's few threads
    /// would starve whatever the child is waiting for.
    public func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.waitForExit()) }
        }
    }

    /// SIGTERM, then the exit status.
    public func terminate() async -> Int32 {
        signal(SIGTERM)
        return await exitStatus()
    }

    /// Writes all of `text` to the child's stdin pipe. A child that has exited makes this throw
    /// (EPIPE), not kill the test process: SIGPIPE is ignored from the first spawn on.
    public func writeStdin(_ text: String) throws {
        guard let stdinFD = stdinFD.withLock({ $0 }) else { throw Failure("\(executable) has no open stdin pipe") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure("writing to \(executable): \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Closes the stdin pipe: the child reads EOF.
    public func closeStdin() {
        stdinFD.withLock { fd in
            if let open = fd { _ = close(open) }
            fd = nil
        }
    }

    /// The next bytes the child wrote to its stdout pipe (blocking); empty at EOF.
    public func read() -> [UInt8] {
        guard let stdoutFD else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(stdoutFD, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            return count <= 0 ? [] : Array(buffer[..<count])
        }
    }

    /// Everything the child writes to its stdout pipe until it closes it.
    public func readToEnd() -> String {
        var bytes: [UInt8] = []
        while case let chunk = read(), !chunk.isEmpty { bytes += chunk }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// A pipe whose ends close on exec, so no other child spawned meanwhile inherits them.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw Failure("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// glibc ≥ 2.34 has `posix_spawn_file_actions_addclosefrom_np`, but its header declares it only
    /// under _GNU_SOURCE, which the Glibc module does not set: look it up by name. Without it the
    /// tests would silently hand every descriptor of the test process to each child, so its
    /// absence fails the spawn instead (Debian 12 has glibc 2.36).
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) throws {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = addCloseFrom else {
            throw Failure("glibc has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later is needed)")
        }
        let result = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        guard result == 0 else { throw Failure("posix_spawn_file_actions_addclosefrom_np: \(String(cString: strerror(result)))") }
    }

    /// The looked-up function, or nil. `nonisolated(unsafe)`: a raw pointer is not Sendable, but
    /// this one is written once (by the lazy static initialiser, which runs once) and only read.
    /// Looking it up also ignores SIGPIPE in the test process, once: children get the default
    /// back (`posix_spawnattr_setsigdefault`).
    nonisolated(unsafe) private static let addCloseFrom: UnsafeMutableRawPointer? = {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    }()
}
