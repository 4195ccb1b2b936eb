import PlexusCore
import PlexusSim
import PlexusSimFiles
import PlexusYAML
import Testing

@Suite struct TopologyFileTests {
    @Test func completeTopologyParses() throws {
        let topology = try TopologyFile.load(yaml: Fixtures.topology)
        #expect(topology.name == "two-orgs")
        #expect(topology.linkClasses["lan"] == LinkClass(latency: .milliseconds(1), jitter: .microseconds(500), loss: 0))
        #expect(topology.linkClasses["metro"] == LinkClass(latency: .milliseconds(5), jitter: .milliseconds(1)))
        #expect(topology.linkClasses["wan"]?.loss == 0.001)
        #expect(topology.links == Topology.LinkRules(sameCluster: "lan", sameOrganisation: "metro", crossOrganisation: "wan"))
        #expect(topology.organisations.map(\.name) == ["acme", "beta"])
        #expect(topology.organisations[0].clusters[0].nodes.count == 25)
        #expect(topology.organisations[0].clusters[0].nodes.last == "n025")
        #expect(topology.organisations[0].clusters[1].nodes == ["gw", "a", "b"])
        #expect(topology.nodes.count == 30)
        #expect(topology.nodes.first?.id == NodeID("acme/eu1/n001"))
    }

    @Test func defaultsApplyWhenLinkClassesAndLinksAreOmitted() throws {
        let topology = try TopologyFile.load(yaml: """
            organisations:
              - name: acme
                clusters: [{name: eu1, nodes: 3}]
            """)
        #expect(topology.name == "topology")
        #expect(topology.linkClasses == ["lan": .lan])
        #expect(topology.links == Topology.LinkRules(sameCluster: "lan", sameOrganisation: "lan", crossOrganisation: "lan"))
    }

    @Test func linkRulesDefaultToTheNarrowerRule() throws {
        let topology = try TopologyFile.load(yaml: """
            link_classes:
              lan: {latency: 1ms}
              wan: {latency: 40ms}
            links:
              same_organisation: wan
            organisations:
              - {name: acme, clusters: [{name: eu1, nodes: 1}]}
            """)
        #expect(topology.links == Topology.LinkRules(sameCluster: "lan", sameOrganisation: "wan", crossOrganisation: "wan"))
    }

    @Test func unknownLinkClassInLinksIsRejected() throws {
        let error = try #require(Fixtures.error {
            _ = try TopologyFile.load(yaml: """
                name: t
                link_classes:
                  lan: {latency: 1ms}
                links:
                  same_cluster: lan
                  cross_organisation: wann
                organisations:
                  - {name: acme, clusters: [{name: eu1, nodes: 1}]}
                """)
        })
        #expect(error.key == "links.cross_organisation")
        #expect(error.line == 6)
        #expect(error.message.contains("wann"))
    }

    @Test func duplicateNodeIsRejected() throws {
        let error = try #require(Fixtures.error {
            _ = try TopologyFile.load(yaml: """
                organisations:
                  - name: acme
                    clusters:
                      - name: eu1
                        nodes:
                          - gw
                          - a
                          - gw
                """)
        })
        #expect(error.key == "organisations[0].clusters[0].nodes[2]")
        #expect(error.line == 8)
        #expect(error.message.contains("duplicate"))
    }

    @Test func badNamesAndValuesAreRejected() throws {
        let slash = try #require(Fixtures.error {
            _ = try TopologyFile.load(yaml: "organisations:\n  - {name: a/b, clusters: [{name: c, nodes: 1}]}\n")
        })
        #expect(slash.key == "organisations[0].name")
        #expect(slash.line == 2)

        let jitter = try #require(Fixtures.error {
            _ = try TopologyFile.load(yaml: """
                link_classes:
                  lan: {latency: 1ms, jitter: 2ms}
                organisations:
                  - {name: a, clusters: [{name: c, nodes: 1}]}
                """)
        })
        #expect(jitter.key == "link_classes.lan.jitter")
        #expect(jitter.line == 2)

        let empty = try #require(Fixtures.error {
            _ = try TopologyFile.load(yaml: "organisations:\n  - {name: a, clusters: [{name: c, nodes: 0}]}\n")
        })
        #expect(empty.key == "organisations")
        #expect(empty.message.contains("no nodes"))
    }
}
