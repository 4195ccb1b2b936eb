#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A private PostgreSQL 15 cluster for tests: `initdb` into a directory of its own, the server on
/// a free loopback port, trust authentication for the user `plexus`. Run as the `postgres` user
/// when the tests run as root (PostgreSQL refuses root), through `setpriv`, which execs the
/// server in place, so SIGKILL reaches the postmaster itself (RELIABILITY F2).
public final class PostgresServer: @unchecked Sendable {
    // @unchecked Sendable: only the test that started it touches it, one step at a time.
    public static let binDirectory = "/usr/lib/postgresql/15/bin"
    private let server: ServerProcess
    private let runAs: [String]

    public var port: Int { server.port }
    /// The database URL for the `postgres` database as `plexus`.
    public var url: String { "postgres://plexus@127.0.0.1:\(port)/postgres" }

    public init() throws {
        let asRoot = getuid() == 0
        runAs = asRoot ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : []
        let postgres = Self.binDirectory + "/postgres"
        guard FileManager.default.isExecutableFile(atPath: postgres) else {
            throw ServerProcess.Failure("\(postgres) is not installed: apt-get install postgresql-15 (.ci/run does)")
        }
        let prefix = runAs
        server = try ServerProcess(executable: asRoot ? "/usr/bin/setpriv" : postgres, package: "postgresql-15") { port, directory in
            Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [postgres]) + [
                "-D", directory + "/data", "-p", String(port), "-k", directory, "-c", "listen_addresses=127.0.0.1",
                "-c", "max_connections=200", "-c", "shared_buffers=256MB", "-c", "max_wal_size=4GB",
            ]
        }
        if asRoot {
            _ = chown(server.directory, Self.postgresUID(), Self.postgresGID())
        }
        try run(Self.binDirectory + "/initdb", ["-D", server.directory + "/data", "-U", "plexus", "--auth=trust", "-E", "UTF8", "--no-sync"])
    }

    /// Starts (or restarts, on the same port and data) the server and waits until it accepts
    /// queries, not only connections: during recovery it refuses them for a moment.
    public func start() async throws {
        try await server.start()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? run(Self.binDirectory + "/pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-U", "plexus", "-d", "postgres"])) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerProcess.Failure("PostgreSQL on port \(port) did not become ready within 60 s")
    }

    /// SIGKILL to the postmaster: crash recovery at the next start.
    public func kill9() {
        server.kill9()
        // Its backends notice the postmaster's death by themselves; wait until the port is free.
        let deadline = Date().addingTimeInterval(10)
        while FreePort.accepts(port: port), Date() < deadline { usleep(20_000) }
    }

    public func stop() { server.stop() }

    public var processIdentifier: Int32? { server.processIdentifier }

    /// A process to completion; throws with its output when it fails.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let (status, output) = try ChildProcess.run(runAs.isEmpty ? executable : runAs[0],
                                                    runAs.isEmpty ? arguments : Array(runAs.dropFirst()) + [executable] + arguments)
        guard status == 0 else {
            throw ServerProcess.Failure("\(executable) \(arguments.joined(separator: " ")) failed: \(output)")
        }
        return output
    }

    private static func postgresUID() -> uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    private static func postgresGID() -> gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }

    /// One server per test process, started on first use; tests use a schema each.
    public static func shared() async throws -> PostgresServer {
        try await SharedPostgres.instance.server()
    }
}

private let sharedPostgresPID = Mutex<Int32>(0)

private actor SharedPostgres {
    static let instance = SharedPostgres()
    private var started: Task<PostgresServer, any Error>?

    func server() async throws -> PostgresServer {
        if let started { return try await started.value }
        let task = Task {
            let server = try PostgresServer()
            try await server.start()
            // The shared server lives as long as the test process: kill it at exit, or every
            // test run would leave a postmaster behind.
            sharedPostgresPID.withLock { $0 = server.processIdentifier ?? 0 }
            atexit {
                let pid = sharedPostgresPID.withLock { $0 }
                if pid > 0 { kill(pid, SIGKILL) }
            }
            return server
        }
        started = task
        return try await task.value
    }
}
