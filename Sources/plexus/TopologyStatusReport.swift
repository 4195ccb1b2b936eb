import AsyncHTTPClient
import Foundation
import PlexusCore

/// What `plexus topology status` shows: for every node whether its process runs and how the mesh
/// looks from there (`GET /v1/mesh`). Each node's own view matters: a partition or an untrusted
/// peer shows up as nodes disagreeing, which one merged view would hide.
struct TopologyStatusReport: Sendable {
    struct Row: Sendable {
        var node: TopologyState.Node
        var running: Bool
        /// The node's `/v1/mesh` answer; `nil` when it did not answer within the timeout.
        var mesh: JSONValue?
        /// Why there is no `mesh`, when the process runs but did not answer.
        var problem: String?
    }

    var topology: String
    var root: String
    var rows: [Row]

    /// Asks every node at once, each with a 2-second timeout, so one hung node costs 2 s, not 2 s each.
    static func collect(_ state: TopologyState, root: String) async -> TopologyStatusReport {
        let rows = await withTaskGroup(of: (Int, Row).self) { group in
            for (i, node) in state.nodes.enumerated() {
                group.addTask {
                    let running = node.isAlive
                    do {
                        return (i, Row(node: node, running: running, mesh: try await fetchMesh(node.httpURL), problem: nil))
                    } catch {
                        return (i, Row(node: node, running: running, mesh: nil, problem: running ? "\(error)" : nil))
                    }
                }
            }
            var rows: [(Int, Row)] = []
            for await row in group { rows.append(row) }
            return rows.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return TopologyStatusReport(topology: state.topology, root: root, rows: rows)
    }

    private static func fetchMesh(_ base: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + "/v1/mesh")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code == 200 else { throw CLIError("HTTP \(response.status.code)") }
        return try JSONParser.parse(Array(body.readableBytesView))
    }

    /// `{"topology", "nodes": [{"id", "pid", "running", "http_url", "mesh_address", "mesh"}]}`.
    var json: JSONValue {
        let nodes: [JSONValue] = rows.map { row in
            [
                "id": .string(row.node.id), "pid": .integer(Int64(row.node.pid)), "running": .bool(row.running),
                "http_url": .string(row.node.httpURL), "mesh_address": .string(row.node.meshAddress), "mesh": row.mesh ?? .null,
            ]
        }
        return ["topology": .string(topology), "nodes": .array(nodes)]
    }

    /// A table, one line per node, with its links to peers on the lines below it.
    var text: String {
        let header = ["NODE", "PID", "PROCESS", "HTTP", "MEMBERS", "REGISTRY n/s/b", "REJECTED sig/ns/bad"]
        let table = rows.map { row -> [String] in
            [row.node.id, String(row.node.pid), row.running ? "running" : "stopped", row.node.httpURL,
             members(row.mesh), registry(row.mesh), rejected(row.mesh)]
        }
        let widths = header.indices.map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var lines = ["topology \(topology) (\(root))", line(header)]
        for (row, cells) in zip(rows, table) {
            lines.append(line(cells))
            if let problem = row.problem { lines.append("    no answer from \(row.node.httpURL)/v1/mesh: \(problem)") }
            for member in row.mesh?["members"]?.arrayValue ?? [] {
                let peer = member["id"]?.stringValue ?? "?"
                let link = member["link"]
                let rtt = (link?["rtt_ms"]?.doubleValue).map { String(format: "%.3f ms", $0) } ?? "-"
                let connected = link?["connected"]?.boolValue == false ? "  (not connected)" : ""
                lines.append("    \(peer)  \(rtt)\(connected)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Member counts by state as this node sees them, e.g. `4 alive, 1 dead`.
    private func members(_ mesh: JSONValue?) -> String {
        guard let members = mesh?["members"]?.arrayValue else { return "-" }
        let states = members.map { $0["state"]?.stringValue ?? "?" }
        let order = ["alive", "suspect", "dead", "left"]
        let known = order.filter(states.contains) + Set(states).subtracting(order).sorted()
        let counts = known.map { state in "\(states.filter { $0 == state }.count) \(state)" }
        return counts.isEmpty ? "none" : counts.joined(separator: ", ")
    }

    private func registry(_ mesh: JSONValue?) -> String {
        guard let registry = mesh?["registry"] else { return "-" }
        return ["node", "subject", "backbone"].map { registry[$0]?.integerValue.map(String.init) ?? "?" }.joined(separator: "/")
    }

    private func rejected(_ mesh: JSONValue?) -> String {
        guard let rejected = mesh?["registry"]?["rejected"] else { return "-" }
        return ["signature", "namespace", "malformed"].map { rejected[$0]?.integerValue.map(String.init) ?? "?" }.joined(separator: "/")
    }
}
