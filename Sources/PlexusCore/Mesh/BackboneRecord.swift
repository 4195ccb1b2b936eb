/// The original system's backbone record (`system_id`, `org_ids`, `cluster_id`, `public_url`,
/// `metadata`, `name`) as it lives in the gossiped registry.
///
/// The registry gives every owner its own namespace, so a backbone written through node A and
/// later updated through node B exists as two entries, one per owner. The record a reader sees
/// is the one written last (`updated_at` in milliseconds, ties broken by owner id); a delete
/// through any node is a newer entry marked `deleted`, so it wins the same way.
public struct BackboneRecord: Sendable, Equatable {
    /// The original fields, in their original order.
    public var fields: JSONObject
    public var owner: NodeID
    public var updatedAt: Int64
    public var deleted: Bool

    public var systemID: String { fields["system_id"]?.stringValue ?? "" }

    /// `updated_at` values a record may carry, in milliseconds since 1970.
    public static let validTimes: ClosedRange<Int64> = 0...253_402_300_799_999

    public static let fieldNames = ["system_id", "org_ids", "cluster_id", "public_url", "metadata", "name"]

    public init(fields: JSONObject, owner: NodeID, updatedAt: Int64, deleted: Bool = false) {
        self.fields = fields
        self.owner = owner
        self.updatedAt = updatedAt
        self.deleted = deleted
    }

    /// Checks a request body's fields (unknown keys and wrong types are refused, naming the key)
    /// and returns them in the canonical order. Every field is optional (the original generates `system_id`).
    public static func validate(_ body: JSONValue) throws(PlexusError) -> JSONObject {
        guard case .object(let object) = body else {
            throw PlexusError(.invalidField, "a backbone record must be a JSON object")
        }
        for key in object.keys where !fieldNames.contains(key) {
            throw PlexusError(.invalidField, "unknown backbone field \"\(key)\" (fields: \(fieldNames.joined(separator: ", ")))", pointer: "/\(key)")
        }
        var fields: JSONObject = [:]
        for name in fieldNames {
            guard let value = object[name] else { continue }
            switch (name, value) {
            case ("metadata", .object), ("metadata", .null): fields[name] = value
            case ("metadata", _): throw PlexusError(.invalidField, "metadata must be an object", pointer: "/metadata")
            case (_, .string), (_, .null): fields[name] = value
            default: throw PlexusError(.invalidField, "\(name) must be a string", pointer: "/\(name)")
            }
        }
        if case .string(let id)? = fields["system_id"], id.isEmpty || id.utf8.count > 200 || id.contains(where: { $0 == "/" || $0.isWhitespace }) {
            throw PlexusError(.invalidField, "system_id must be 1–200 characters without spaces or slashes", pointer: "/system_id")
        }
        return fields
    }

    /// The entry payload this record is stored as.
    public var payload: JSONValue {
        var object = fields
        object["updated_at"] = .integer(updatedAt)
        if deleted { object["deleted"] = .bool(true) }
        return .object(object)
    }

    /// The record of one backbone entry, or `nil` when the payload is not a backbone record.
    public init?(entry: RegistryEntry) {
        guard entry.key.kind == .backbone, case .object(let object)? = entry.value else { return nil }
        var fields: JSONObject = [:]
        for name in Self.fieldNames { if let value = object[name] { fields[name] = value } }
        fields["system_id"] = .string(entry.key.id)
        // Within the years 1970...9999: another organisation's node must not be able to pick a
        // time no later write can beat, or one that overflows a reader's arithmetic.
        guard case .integer(let at)? = object["updated_at"], Self.validTimes.contains(at) else { return nil }
        self.init(fields: fields, owner: entry.key.owner, updatedAt: at, deleted: object["deleted"] == .bool(true))
    }

    /// The newest record of every backbone (deleted ones included, so a writer can supersede
    /// them), by system id, in id order.
    public static func newest(of entries: [RegistryEntry]) -> [BackboneRecord] {
        var newest: [String: BackboneRecord] = [:]
        for entry in entries where !entry.isTombstone {
            guard let record = BackboneRecord(entry: entry) else { continue }
            if let current = newest[record.systemID], (current.updatedAt, current.owner) >= (record.updatedAt, record.owner) { continue }
            newest[record.systemID] = record
        }
        return newest.values.sorted { $0.systemID < $1.systemID }
    }

    /// Whether the record matches every field equality in `filter` (the `POST /backbones` query).
    public func matches(_ filter: JSONObject) -> Bool {
        filter.allSatisfy { key, value in fields[key] == value }
    }
}
