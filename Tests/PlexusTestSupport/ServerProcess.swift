#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A real server binary (redis-server, nats-server) as a child process of a test, on a port of
/// its own, with a directory of its own. Tests kill it with SIGKILL and start it again on the same
/// port and directory (RELIABILITY F3, F4). The binary must be installed (`.ci/run` installs it):
/// a missing binary fails the test with the package to install, it never skips it.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: only the test that started it touches it, one step at a time.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public let executable: String
    public let port: Int
    public let directory: String
    let arguments: @Sendable (Int, String) -> [String]
    private var process: ChildProcess?

    /// - Parameter port: nil picks a free one.
    /// - Parameter arguments: the command line for a port and a directory.
    public init(executable: String, package: String, port: Int? = nil,
                arguments: @escaping @Sendable (_ port: Int, _ directory: String) -> [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure("\(executable) is not installed: apt-get install \(package) (.ci/run does)")
        }
        self.executable = executable
        self.port = try port ?? FreePort.next()
        self.directory = NSTemporaryDirectory() + "plexus-server-\(self.port)-\(UUID().uuidString.prefix(8))"
        self.arguments = arguments
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// (Re)starts the server and waits until its port accepts connections.
    public func start() async throws {
        // A ChildProcess kills its child when it goes away: a test's servers never outlive it.
        let process = try ChildProcess(executable, arguments(port, directory), stdout: .file(directory + "/server.log"), stderr: .stdout)
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw Failure("\(executable) on port \(port) exited: \(logTail())") }
            if FreePort.accepts(port: port) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw Failure("\(executable) on port \(port) did not listen within 30 s: \(logTail())")
    }

    /// The running server's process id, if it runs.
    public var processIdentifier: Int32? { process?.pid }

    /// SIGKILL: the server vanishes without closing anything gracefully.
    public func kill9() {
        process?.kill9()
        process = nil
    }

    /// Stops the server and removes its directory.
    public func stop() {
        kill9()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func logTail() -> String {
        String(((try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "").suffix(800))
    }

    /// A redis-server without persistence, optionally with a password.
    /// `start: false` leaves it to the test to start it (on `port`) later.
    public static func redis(password: String? = nil, extraArguments: [String] = [], port: Int? = nil, start: Bool = true) async throws -> ServerProcess {
        let server = try ServerProcess(executable: "/usr/bin/redis-server", package: "redis-server", port: port) { port, directory in
            ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no"]
                + (password.map { ["--requirepass", $0] } ?? []) + extraArguments
        }
        if start { try await server.start() }
        return server
    }

    /// A nats-server, with JetStream storing under its directory (which survives `kill9`).
    public static func nats(jetStream: Bool = false, extraArguments: [String] = []) async throws -> ServerProcess {
        let server = try ServerProcess(executable: "/usr/sbin/nats-server", package: "nats-server") { port, directory in
            ["-a", "127.0.0.1", "-p", "\(port)"] + (jetStream ? ["-js", "-sd", directory + "/js"] : []) + extraArguments
        }
        try await server.start()
        return server
    }
}
