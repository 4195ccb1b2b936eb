import PlexusIdentity
import Testing

/// Names become node ids, subjects, URNs and directory names, so anything outside the rule is refused.
@Suite struct IdentityNameTests {
    @Test(arguments: ["", "-acme", "_acme", "ac/me", "ac me", "acmé", "a.b", String(repeating: "a", count: 64)])
    func invalidOrganisationRefused(_ name: String) {
        let error = #expect(throws: IdentityError.self) { try OrganisationCA.create(organisation: name) }
        #expect(error?.code == .invalidName)
        #expect(error?.message.contains("\"\(name)\"") == true)
    }

    @Test func invalidNodeAndClusterRefused() throws {
        let ca = try OrganisationCA.create(organisation: "acme")
        let node = #expect(throws: IdentityError.self) { try ca.issue(node: "n/1") }
        #expect(node?.code == .invalidName)
        #expect(node?.message.contains("n/1") == true)
        let cluster = #expect(throws: IdentityError.self) { try ca.issue(node: "n1", cluster: "eu 1") }
        #expect(cluster?.code == .invalidName)
        #expect(cluster?.message.contains("eu 1") == true)
    }

    @Test func validNamesAccepted() throws {
        let ca = try OrganisationCA.create(organisation: "A1_b-c")
        let node = try ca.issue(node: "9" + String(repeating: "x", count: 62), cluster: "eu-1_a")
        #expect(node.cluster == "eu-1_a")
    }
}
