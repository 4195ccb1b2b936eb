import Foundation
import PlexusSimFiles
import Testing

/// Every topology and scenario shipped in the repository must load: a file that drifts from the
/// format fails here, not when someone runs it.
@Suite struct RepositoryFilesTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func yamlFiles(in directory: String) -> [String] {
        let url = repositoryRoot.appendingPathComponent(directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { url.appendingPathComponent($0).path }
    }

    @Test func topologyFilesLoad() {
        for path in Self.yamlFiles(in: "topology") {
            do {
                _ = try TopologyFile.load(path: path)
            } catch {
                Issue.record("\(path): \(error)")
            }
        }
    }

    @Test func simulationFilesLoad() {
        for path in Self.yamlFiles(in: "simulations") {
            do {
                _ = try ScenarioFile.load(path: path)
            } catch {
                Issue.record("\(path): \(error)")
            }
        }
    }
}
