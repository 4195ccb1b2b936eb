import PlexusCore

/// The naming rule for organisations, clusters and nodes. Names end up in node ids
/// (`org/cluster/name`), certificate subjects, URNs and directory names, so they are restricted to
/// characters that are safe in all of them: `[A-Za-z0-9][A-Za-z0-9_-]{0,62}`.
enum IdentityName {
    /// Throws `invalidName` naming `what` and the offending value unless `value` is a valid name.
    static func validate(_ value: String, as what: String) throws(IdentityError) {
        guard isValid(value) else {
            throw IdentityError(
                .invalidName,
                "invalid \(what) name \"\(value)\": use 1-63 characters from A-Z a-z 0-9 _ -, starting with a letter or digit"
            )
        }
    }

    static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// The node id `<org>/<cluster>/<name>`.
    static func nodeID(organisation: String, cluster: String, name: String) -> NodeID {
        NodeID("\(organisation)/\(cluster)/\(name)")
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }
}
