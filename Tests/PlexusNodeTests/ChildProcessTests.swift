#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusTestSupport
import Testing

/// The tests' posix_spawn helper: what every process test relies on.
@Suite struct ChildProcessTests {
    @Test func exitCodesOutputAndStdin() throws {
        let echo = try ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(echo.status == 3)
        #expect(echo.output == "out\nerr\n")

        let cat = try ChildProcess("/bin/cat", [], stdinPipe: true, stdout: .pipe)
        try cat.writeStdin("through stdin\n")
        cat.closeStdin()
        #expect(cat.readToEnd() == "through stdin\n")
        #expect(cat.waitForExit() == 0)
        #expect(!cat.isRunning)
    }

    @Test func aKilledChildReportsItsSignal() throws {
        let sleeper = try ChildProcess("/bin/sleep", ["30"])
        #expect(sleeper.isRunning)
        sleeper.kill9()
        #expect(sleeper.waitForExit() == 128 + SIGKILL)
        #expect(!sleeper.isRunning)
    }

    /// Several waiters at once (a SIGTERM's waiter and a kill9, say) each get the status.
    @Test func everyConcurrentWaiterGetsTheStatus() async throws {
        let sleeper = try ChildProcess("/bin/sleep", ["30"])
        async let first = sleeper.exitStatus()
        async let second = sleeper.exitStatus()
        async let third = sleeper.exitStatus()
        try await Task.sleep(for: .milliseconds(50))
        sleeper.kill9()
        #expect(await [first, second, third] == Array(repeating: 128 + SIGKILL, count: 3))
    }

    /// The child gets stdin, stdout and stderr and nothing else of the test process (a leaked
    /// pipe end or listening socket would outlive the test in a long-lived child).
    @Test func noDescriptorOfTheTestLeaksIntoTheChild() throws {
        let leaky = open("/dev/null", O_RDONLY)  // deliberately without O_CLOEXEC
        defer { close(leaky) }
        let listing = try ChildProcess.run("/bin/ls", ["/proc/self/fd"])
        let fds = Set(listing.output.split(separator: "\n").compactMap { Int($0) })
        // ls holds one descriptor of its own for the directory it lists.
        #expect(fds.subtracting([0, 1, 2]).count <= 1, "\(fds.sorted())")
        #expect(!fds.contains(Int(leaky)) || leaky <= 3, "\(fds.sorted())")
    }

    /// SIGTERM reaches a child spawned from a Swift concurrency thread (whose blocked signals a
    /// plain spawn would pass on).
    @Test func sigtermReachesTheChild() async throws {
        let sleeper = try ChildProcess("/bin/sleep", ["30"])
        #expect(await sleeper.terminate() == 128 + SIGTERM)
    }
}
