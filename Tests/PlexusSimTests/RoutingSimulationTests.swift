import PlexusCore
import Testing

@testable import PlexusSim

/// One cluster of `n` nodes on the reference LAN, ids `acme/a/n001`….
func routingTopology(_ n: Int) -> Topology {
    Topology(name: "routing", linkClasses: ["lan": .lan], links: .init(sameCluster: "lan", sameOrganisation: "lan", crossOrganisation: "lan"),
             organisations: [.init(name: "acme", clusters: [.init(name: "a", nodes: (0..<n).map(Topology.generatedName))])])
}

func routingNode(_ i: Int) -> NodeID { NodeID("acme/a/" + Topology.generatedName(i - 1)) }

@Suite struct RoutingSimulationTests {
    func edges(_ plan: NeighborPlan) -> [[Int]] {
        plan.lists.enumerated().flatMap { a, list in list.filter { $0 > a }.map { [a, $0] } }
    }

    @Test func shapesGiveTheirNeighbours() {
        let five = routingTopology(5).nodes
        #expect(edges(NeighborPlan(shape: .chain, shortcuts: [], nodes: five)) == [[0, 1], [1, 2], [2, 3], [3, 4]])
        #expect(edges(NeighborPlan(shape: .ring, shortcuts: [], nodes: five)) == [[0, 1], [0, 4], [1, 2], [2, 3], [3, 4]])
        #expect(edges(NeighborPlan(shape: .chain, shortcuts: [.init(routingNode(1), routingNode(4))], nodes: five))
            == [[0, 1], [0, 3], [1, 2], [2, 3], [3, 4]])
        // 3 columns, 7 nodes: rows [0 1 2] [3 4 5] [6].
        #expect(edges(NeighborPlan(shape: .grid(columns: 3), shortcuts: [], nodes: routingTopology(7).nodes))
            == [[0, 1], [0, 3], [1, 2], [1, 4], [2, 5], [3, 4], [3, 6], [4, 5]])
        let full = NeighborPlan(shape: .full, shortcuts: [], nodes: five)
        #expect(!full.configured && full.allowed(0, 4) && !full.allowed(2, 2))
        #expect(full.neighbors(of: 2, count: 5) == [0, 1, 3, 4])
    }

    @Test func clustersAreMeshedInsideAndJoinedByGatewayPlanes() {
        let topology = Topology(name: "c", linkClasses: ["lan": .lan], links: .init(sameCluster: "lan", sameOrganisation: "lan", crossOrganisation: "lan"),
                                organisations: [.init(name: "o", clusters: [.init(name: "x", nodes: ["a", "b", "c"]),
                                                                             .init(name: "y", nodes: ["a", "b", "c"]),
                                                                             .init(name: "z", nodes: ["a"])])])
        let plan = NeighborPlan(shape: .clusters(gateways: 2), shortcuts: [], nodes: topology.nodes)
        // Inside x (0 1 2) and y (3 4 5); plane 0: x/a, y/a, z/a; plane 1: x/b, y/b.
        #expect(edges(plan) == [[0, 1], [0, 2], [0, 3], [0, 6], [1, 2], [1, 4], [3, 4], [3, 5], [3, 6], [4, 5]])
        #expect(!plan.allowed(2, 5))
    }

    @Test func messageIDsCarryTheirIndex() {
        for index in [0, 1, 255, 256, 70_000, 1 << 40] {
            #expect(RoutingMetrics.index(of: RoutingMetrics.id(index: index, seed: 0xDEAD_BEEF)) == index)
        }
        #expect(RoutingMetrics.id(index: 3, seed: 1) != RoutingMetrics.id(index: 3, seed: 2))
    }

    @Test func durableLogKeepsRolesDeliveriesAndOutboxOrder() {
        var log = DurableLog()
        let a = RoutingMetrics.id(index: 1, seed: 1), b = RoutingMetrics.id(index: 2, seed: 1)
        log.log(b, role: .relay, payload: [1], hopCount: 2, targets: [.node("x")])
        log.log(a, role: .origin, payload: [2], hopCount: 0, targets: [.subject("s")])
        log.log(b, role: .destination, payload: [1], hopCount: 2, targets: [.node("y"), .node("x")])
        #expect(log.roles[b] == .destination)
        #expect(log.outboxInOrder.map(\.id) == [b, a])
        #expect(log.outbox[b]?.targets == [.node("x"), .node("y")])
        let first = log.deliver(a), second = log.deliver(a)
        #expect(first)
        #expect(!second)
        log.release(b)
        #expect(log.outboxInOrder.map(\.id) == [a])
    }

    /// A chain of five, messages from one end to the other: every frame crosses a neighbour
    /// link, every message takes the four hops and is delivered exactly once.
    @Test func chainDeliversOverNeighbourLinksOnly() async throws {
        let scenario = Scenario(name: "chain", topology: routingTopology(5), duration: .seconds(20), events: [
            .init(at: .seconds(8), event: .traffic(.init(from: .nodes([routingNode(1)]), to: ["far"], count: 100, rate: 20))),
        ], routing: .init(shape: .chain, subjects: [.at("far", home: routingNode(5))]))
        let report = try await offPool {
            var sim = Simulation(scenario: scenario, seed: 4)
            return sim.run()
        }
        #expect(report.metric("messages_acked") == 100)
        #expect(report.metric("messages_delivered") == 100)
        #expect(report.metric("acked_lost") == 0)
        #expect(report.metric("duplicate_deliveries") == 0)
        #expect(report.metric("neighbor_violations") == 0)
        #expect(report.metric("directed_hops_mean") == 4)
        #expect(report.metric("transmissions_per_hop") == 1)
        #expect(report.metric("data_frames") == 400)
    }

    /// Topic fan-out reaches every node with matching interest, the origin included.
    @Test func topicFanOutReachesEveryInterestedNode() async throws {
        let scenario = Scenario(name: "topic", topology: routingTopology(6), duration: .seconds(20), events: [
            .init(at: .seconds(8), event: .traffic(.init(from: .nodes([routingNode(1)]), topics: ["orders.eu"], count: 50, rate: 10))),
        ], routing: .init(interest: [.init(patterns: ["orders.>"], nodes: .nodes([routingNode(1), routingNode(3), routingNode(6)]))]))
        let report = try await offPool {
            var sim = Simulation(scenario: scenario, seed: 5)
            return sim.run()
        }
        #expect(report.metric("messages_delivered") == 50)
        #expect(report.metric("acked_lost") == 0)
        #expect(report.metric("misdeliveries") == 0)
        #expect(report.metric("duplicate_deliveries") == 0)
    }

    /// Every data-plane fault at once: the same seed gives the same trace and the same figures.
    @Test func routingRunsReproduceFromTheSeed() async throws {
        let scenario = Scenario(name: "routing-determinism", topology: routingTopology(9), duration: .seconds(40), events: [
            .init(at: .seconds(8), event: .traffic(.init(to: ["s1", "s2", "s3"], topics: ["t.x"], topicShare: 0.3, count: 400, rate: 25))),
            .init(at: .seconds(12), event: .crash(.nodes([routingNode(5)]), resetLinks: true)),
            .init(at: .seconds(14), event: .flap(.init(a: routingNode(1), b: routingNode(2), period: .seconds(1), down: .milliseconds(400), duration: .seconds(6)))),
            .init(at: .seconds(18), event: .partition(groups: [.nodes([routingNode(1), routingNode(2), routingNode(3)])], for: .seconds(5))),
            .init(at: .seconds(22), event: .restart(.nodes([routingNode(5)]))),
        ], routing: .init(shape: .grid(columns: 3), subjects: [.random(count: 3, prefix: "s")],
                          interest: [.init(patterns: ["t.*"], nodes: .random(2))]))
        let (ra, rb, rc) = try await offPool {
            var a = Simulation(scenario: scenario, seed: 11)
            var b = Simulation(scenario: scenario, seed: 11)
            var c = Simulation(scenario: scenario, seed: 12)
            return (a.run(), b.run(), c.run())
        }
        #expect(ra.traceHash == rb.traceHash)
        #expect(ra.metrics.map(\.value) == rb.metrics.map(\.value))
        #expect(ra.traceHash != rc.traceHash)
        #expect((ra.metric("messages_originated") ?? 0) > 300)
        #expect(ra.metric("neighbor_violations") == 0)
        #expect((ra.metric("route_changes") ?? 0) >= 4)  // crash, partition, heal, restart
    }

    /// Scenarios without a routing block run as before: no data-plane figures, no data bytes.
    @Test func meshOnlyScenariosHaveNoRoutingFigures() {
        var sim = Simulation(scenario: Scenario(name: "mesh", topology: routingTopology(3), duration: .seconds(3)), seed: 1)
        let report = sim.run()
        #expect(report.metric("acked_lost") == nil)
        #expect(report.metric("data_bytes_per_node_s") == 0)
    }
}
