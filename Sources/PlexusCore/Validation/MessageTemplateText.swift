/// How violation messages name values, so every rule words them the same way.
enum MessageTemplateText {
    /// A short rendering of a value for a message: strings quoted and cut at 40 characters, numbers as
    /// written, containers summarised (a message is not the place to echo a whole payload back).
    static func brief(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let integer): return String(integer)
        case .double(let double): return double.description
        case .string(let string):
            let scalars = string.unicodeScalars
            guard scalars.count > 40 else { return quoted(string) }
            var cut = String.UnicodeScalarView()
            cut.append(contentsOf: scalars.prefix(40))
            return quoted(String(cut)) + "…"
        case .array(let elements): return "an array of " + count(elements.count, "item")
        case .object(let object): return "an object with " + count(object.count, "property", "properties")
        }
    }

    /// The value's kind and rendering, e.g. `string "abc"`, `integer 42`, `an array of 3 items`.
    static func described(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean " + brief(value)
        case .integer: "integer " + brief(value)
        case .double: "number " + brief(value)
        case .string: "string " + brief(value)
        case .array, .object: brief(value)
        }
    }

    /// A string in JSON quotes, with JSON escapes, so control characters stay visible.
    static func quoted(_ string: String) -> String {
        String(decoding: JSONValue.string(string).serialized(), as: UTF8.self)
    }

    /// `1 item`, `2 items`.
    static func count(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
    }

    /// Up to five values, then `…`: enough to show what was allowed without flooding the message.
    static func list(_ values: [JSONValue]) -> String {
        let shown = values.prefix(5).map(brief).joined(separator: ", ")
        return values.count > 5 ? shown + ", …" : shown
    }
}
