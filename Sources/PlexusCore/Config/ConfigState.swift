/// The mesh-wide configuration as one node knows it: the newest version of every key.
///
/// A last-writer-wins map, so merging is commutative, associative and idempotent: nodes that saw
/// the same versions in any order hold the same state. Deleted keys keep their deleting version
/// (so an older write arriving late cannot resurrect them).
public struct ConfigState: Sendable, Hashable {
    public private(set) var items: [ConfigKey: ConfigItem] = [:]

    public init() {}

    /// Takes `item` if it supersedes what is held for its key. Returns whether it did.
    @discardableResult
    public mutating func merge(_ item: ConfigItem) -> Bool {
        if let held = items[item.key], !item.supersedes(held) { return false }
        items[item.key] = item
        return true
    }

    /// The live value of a key (nil when absent or deleted).
    public func value(_ key: ConfigKey) -> JSONValue? { items[key]?.value }

    /// The live items of a section, by name.
    public func live(_ section: ConfigSection) -> [ConfigItem] {
        items.values.filter { $0.key.section == section && !$0.isDeleted }.sorted { $0.key.name < $1.key.name }
    }

    /// The next version of `key` written at this node: one above the newest seen, and never
    /// earlier than it in time either.
    public func next(_ key: ConfigKey, value: JSONValue?, now: Timestamp, node: String, author: String?) -> ConfigItem {
        let held = items[key]
        let at = held.map { max(now, Timestamp(microseconds: $0.at.microseconds + 1)) } ?? now
        return ConfigItem(key: key, value: value, version: (held?.version ?? 0) + 1, at: at, node: node, author: author)
    }

    /// A digest of the live constraint items (sections the checker compiles), recorded in each
    /// decision so an audit can tell which configuration decided.
    public var constraintRevision: String {
        var hash = StableHash()
        for item in items.values.sorted(by: { $0.key < $1.key }) where item.key.section.constrains {
            hash.combine(item.key.registryID)
            hash.combine(UInt64(bitPattern: item.version))
            hash.combine(item.node)
        }
        return String(hash.value, radix: 16)
    }
}
