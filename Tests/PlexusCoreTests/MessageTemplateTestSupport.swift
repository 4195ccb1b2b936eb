@testable import PlexusCore

/// Shorthands for template tests: templates and data as JSON text, outcomes as compact strings.
enum MessageTemplateTestSupport {
    static func json(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text)
    }

    static func template(_ text: String) throws -> MessageTemplate {
        try MessageTemplate(json(text))
    }

    /// Each violation as `pointer|rule|schemaPointer`, so one `#expect` pins all three exactly.
    static func outcomes(_ template: String, _ data: String) throws -> [String] {
        try outcomes(Self.template(template), data)
    }

    static func outcomes(_ template: MessageTemplate, _ data: String) throws -> [String] {
        template.validate(try json(data)).map(\.compact)
    }

    /// The error a template is refused with, or nil when it compiles.
    static func refusal(_ template: String) throws -> MessageTemplateError? {
        refusal(try json(template))
    }

    static func refusal(_ body: JSONValue) -> MessageTemplateError? {
        do {
            _ = try MessageTemplate(body)
            return nil
        } catch {
            return error
        }
    }
}

extension MessageTemplateViolation {
    var compact: String { "\(pointer)|\(rule)|\(schemaPointer)" }
}
