/// A subject (an agent or a human) homed at a node, as announced in the registry:
/// `{"kind": "agent" | "human", "card": {…free JSON capability card…}}`.
public enum SubjectRecord {
    public static let kinds = ["agent", "human"]

    /// Checks an announcement body and returns the entry payload (`id` added).
    public static func validate(id: String, body: JSONValue) throws(PlexusError) -> JSONValue {
        guard !id.isEmpty, id.utf8.count <= 200, !id.contains(where: { $0 == "/" || $0.isWhitespace || $0.isNewline }) else {
            throw PlexusError(.invalidField, "a subject id must be 1–200 characters without spaces or slashes")
        }
        guard case .object(let object) = body else {
            throw PlexusError(.invalidField, "a subject must be a JSON object {\"kind\", \"card\"}")
        }
        for key in object.keys where key != "kind" && key != "card" {
            throw PlexusError(.invalidField, "unknown subject field \"\(key)\" (fields: kind, card)", pointer: "/\(key)")
        }
        let kind = object["kind"]?.stringValue ?? "agent"
        guard kinds.contains(kind) else {
            throw PlexusError(.invalidField, "kind must be agent or human, not \(object["kind"].map { "\($0)" } ?? "")", pointer: "/kind")
        }
        let card = object["card"] ?? .object([:])
        guard case .object = card else {
            throw PlexusError(.invalidField, "card must be a JSON object", pointer: "/card")
        }
        return .object(["id": .string(id), "kind": .string(kind), "card": card])
    }
}
