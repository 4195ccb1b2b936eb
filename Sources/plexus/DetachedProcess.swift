#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Starting and watching node processes that outlive the command that started them.
///
/// `plexus topology up` returns while its nodes keep running, and later commands (`status`, `down`,
/// `start`) only know their pids from state.json. Foundation's `Process` is built for children the
/// caller waits on, so this spawns with `posix_spawn` directly: a new session (a Ctrl-C meant for
/// the shell does not reach the nodes), stdin from /dev/null, stdout and stderr appended to a log
/// file, and no other inherited descriptors, so a caller reading `up`'s own output to its end
/// (a test, a pipe into `tee`) is not held open by the nodes.
enum DetachedProcess {
    /// This executable, so the nodes run exactly the build that started them.
    static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Spawns `executable arguments…` detached, with output appended to `log`. Returns its pid.
    static func spawn(_ executable: String, _ arguments: [String], log: String) throws -> pid_t {
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        #if os(Linux)
        // glibc declares POSIX_SPAWN_SETSID and posix_spawn_file_actions_addclosefrom_np only
        // under _GNU_SOURCE, which Swift's Glibc module does not set: spell out the flag's value
        // (stable ABI since glibc 2.26) and mark descriptors close-on-exec instead of closefrom.
        let setsid: Int32 = 0x80
        let flags = Int32(setsid | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        markCloseOnExec()
        #else
        let flags = Int32(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        // Signals the shell (or the Swift runtime) ignored or blocked must not stay ignored in a
        // node: it relies on SIGTERM for its graceful shutdown.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw CLIError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Sets FD_CLOEXEC on every descriptor above stderr, so a child inherits only 0, 1 and 2.
    /// This process starts nodes and exits; it has no descriptor a child should share.
    private static func markCloseOnExec() {
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            let current = fcntl(fd, F_GETFD)
            if current >= 0 && current & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, current | FD_CLOEXEC) }
        }
    }

    /// Whether `pid` is a live process (not a zombie) and, where /proc can tell, still the one
    /// started with `marker` on its command line — pids are reused, and a recorded pid that now
    /// belongs to something else must not count as a running node (or be signalled by `down`).
    static func isRunning(_ pid: Int32, commandLineContains marker: String? = nil) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        #if os(Linux)
        // A killed node whose parent is gone may stay a zombie when pid 1 does not reap.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
            if state == "Z" || state == "X" { return false }
        }
        if let marker, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") {
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains(marker)
        }
        #endif
        return true
    }

    /// Collects `pid` if it is an exited child of this process; `true` when it has exited.
    static func reapIfExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }
}
