/// Strict reading of a configuration body (an ACL, a limit, a policy): every field named, unknown
/// fields refused, each error carrying the JSON pointer of the field at fault.
struct ConfigBody {
    let object: JSONObject
    let what: String

    init(_ value: JSONValue, what: String, known: Set<String>) throws(PlexusError) {
        guard case .object(let object) = value else {
            throw PlexusError(.invalidField, "\(what) must be a JSON object, not \(value.kindName)")
        }
        for key in object.keys where !known.contains(key) {
            throw PlexusError(.invalidField, "unknown field \"\(key)\" in \(what); known: \(known.sorted().joined(separator: ", "))", pointer: "/\(key)")
        }
        self.object = object
        self.what = what
    }

    func string(_ field: String) throws(PlexusError) -> String? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .string(let text) = value, !text.isEmpty else {
            throw PlexusError(.invalidField, "\"\(field)\" must be a non-empty string", pointer: "/\(field)")
        }
        return text
    }

    func strings(_ field: String) throws(PlexusError) -> [String]? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .array(let items) = value else {
            throw PlexusError(.invalidField, "\"\(field)\" must be an array of strings", pointer: "/\(field)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item, !text.isEmpty else {
                throw PlexusError(.invalidField, "\"\(field)\" must hold non-empty strings", pointer: "/\(field)/\(index)")
            }
            result.append(text)
        }
        return result
    }

    func topicPatterns(_ field: String) throws(PlexusError) -> [TopicPattern]? {
        guard let texts = try strings(field) else { return nil }
        var patterns: [TopicPattern] = []
        for (index, text) in texts.enumerated() {
            do throws(PlexusError) { patterns.append(try TopicPattern(text)) } catch {
                throw PlexusError(.invalidField, error.message, pointer: "/\(field)/\(index)")
            }
        }
        return patterns
    }

    func number(_ field: String) throws(PlexusError) -> Double? {
        guard let value = object[field], !value.isNull else { return nil }
        switch value {
        case .integer(let n): return Double(n)
        case .double(let d) where d.isFinite: return d
        default: throw PlexusError(.invalidField, "\"\(field)\" must be a number", pointer: "/\(field)")
        }
    }

    func integer(_ field: String) throws(PlexusError) -> Int64? {
        guard let value = object[field], !value.isNull else { return nil }
        guard case .integer(let n) = value else {
            throw PlexusError(.invalidField, "\"\(field)\" must be an integer", pointer: "/\(field)")
        }
        return n
    }
}

extension [TopicPattern] {
    /// Whether a scope list (nil = every topic) covers `topic`.
    func covers(_ topic: Topic) -> Bool { contains { $0.matches(topic) } }
}

extension Optional where Wrapped == [TopicPattern] {
    func covers(_ topic: Topic) -> Bool { self?.covers(topic) ?? true }
}
