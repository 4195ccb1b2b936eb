import Foundation
import PlexusYAML
import Testing

/// Shared YAML for the loader tests, and a way to catch the typed error a loader throws.
enum Fixtures {
    static let topology = """
        name: two-orgs
        link_classes:
          lan: {latency: 1ms, jitter: 0.5ms, loss: 0}
          metro: {latency: 5ms, jitter: 1ms}
          wan: {latency: 40ms, jitter: 5ms, loss: 0.1%}
        links:
          same_cluster: lan
          same_organisation: metro
          cross_organisation: wan
        organisations:
          - name: acme
            clusters:
              - name: eu1
                nodes: 25
              - name: us1
                nodes: [gw, a, b]
          - name: beta
            clusters:
              - name: ap1
                nodes: 2
        """

    /// A scenario with an inline topology; text appended after it starts at line 11.
    static let scenarioHead = """
        name: t
        topology:
          organisations:
            - name: acme
              clusters:
                - {name: eu1, nodes: 5}
            - name: beta
              clusters:
                - {name: us1, nodes: [gw, a]}
        duration: 60s

        """

    /// The `ConfigurationError` `body` throws, or nil (any other error is recorded as an issue).
    static func error(_ body: () throws -> Void) -> ConfigurationError? {
        do {
            try body()
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// A fresh directory under the temporary directory, for files that reference each other.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-simfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
