import Foundation
import Testing

/// `plexus sim` as a user runs it: the binary, a scenario file, its report and exit status.
@Suite struct SimCommandTests {
    let cli = CLITests()

    func scenarioFile(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "plexus-sim-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let small = """
        name: cli-small
        topology:
          organisations:
            - name: acme
              clusters:
                - {name: eu1, nodes: 6}
        seeds: [1, 2]
        duration: 20s
        events:
          - {at: 8s, crash: {count: 1}}
        assertions:
          - crashes_undetected == 0
          - converged == 1
        """

    @Test func runsEverySeedAndPrintsTheReport() async throws {
        let path = try scenarioFile(Self.small)
        let result = try await cli.run(["sim", path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.components(separatedBy: "scenario cli-small").count == 3)  // seeds 1 and 2
        #expect(result.out.contains("[pass] converged == 1"))
        #expect(result.out.contains("trace "))
    }

    @Test func sameSeedPrintsTheSameTraceHash() async throws {
        let path = try scenarioFile(Self.small)
        let a = try await cli.run(["sim", path, "--seed", "5", "--json"])
        let b = try await cli.run(["sim", path, "--seed", "5", "--json"])
        func hash(_ out: String) -> String? {
            out.range(of: #""trace_hash":"[0-9a-f]+""#, options: .regularExpression).map { String(out[$0]) }
        }
        #expect(a.status == 0 && b.status == 0)
        #expect(hash(a.out) != nil)
        #expect(hash(a.out) == hash(b.out))
    }

    @Test func failingAssertionExitsNonZero() async throws {
        let path = try scenarioFile(Self.small.replacingOccurrences(of: "crashes_undetected == 0", with: "crash_observations == 99"))
        let result = try await cli.run(["sim", path, "--seed", "1"])
        #expect(result.status == 1)
        #expect(result.out.contains("[FAIL] crash_observations == 99"))
    }

    @Test func badFileNamesKeyAndLine() async throws {
        let path = try scenarioFile(Self.small.replacingOccurrences(of: "crash: {count: 1}", with: "crsh: {count: 1}"))
        let result = try await cli.run(["sim", path])
        #expect(result.status != 0)
        #expect(result.err.contains("crsh"), "\(result.err)")
        #expect(result.err.contains("line"), "\(result.err)")
    }
}
