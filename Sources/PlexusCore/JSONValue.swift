import Collections

/// A JSON document as Plexus sees it.
///
/// Integers and doubles are kept apart so that a payload's `42` comes back as `42`, never `42.0`;
/// objects keep their key order so that what a sender wrote is what a reader gets back.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object: keys in the order they were written, no duplicates (the parser rejects them).
public typealias JSONObject = OrderedDictionary<String, JSONValue>
