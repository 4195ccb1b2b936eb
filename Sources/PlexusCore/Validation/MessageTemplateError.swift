/// Why a template cannot be saved, and where in it.
///
/// Templates are compiled once, when a topic owner saves one, so every mistake that would otherwise
/// surface later as a puzzling rejection (or worse, a silent pass) is refused here instead: a keyword
/// with a value of the wrong kind, a misspelt type, a pattern that does not compile, a `$ref` that
/// resolves nowhere or only to itself. The HTTP layer shows `message` to the person who wrote the
/// template and can point an editor at `pointer`.
public struct MessageTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. Raw values are stable and may appear in API responses.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A keyword or rule whose value has the wrong kind or range (`"minLength": -1`, `"type": "strng"`).
        case invalidValue = "invalid-value"
        /// A schema position holds something that is neither an object nor a boolean.
        case notASchema = "not-a-schema"
        /// A `pattern` or `patternProperties` key that is not a valid regular expression.
        case invalidPattern = "invalid-pattern"
        /// A `$ref` to another document: Plexus never fetches schemas.
        case remoteReference = "remote-reference"
        /// A `$ref` whose target does not exist in this template, or is not a schema.
        case unresolvableReference = "unresolvable-reference"
        /// `$ref`s (or combinators) that lead back to themselves without descending into the data,
        /// which would recurse forever on any message.
        case referenceCycle = "reference-cycle"
        /// A keyword whose semantics this validator does not implement, where ignoring it would
        /// accept messages the author meant to refuse (`unevaluatedProperties`, `$dynamicRef`...).
        case unsupportedKeyword = "unsupported-keyword"
        /// A rule name the original template format does not define (a typo would otherwise pass silently).
        case unknownRule = "unknown-rule"
        /// Schemas nested deeper than the compiler follows.
        case tooDeep = "too-deep"
    }

    public var code: Code
    /// A JSON pointer into the template (the saved body), e.g. `/properties/name/minLength`.
    public var pointer: String
    /// A sentence naming what is wrong, e.g. `minLength must be a non-negative integer, found -1`.
    public var message: String

    public init(_ code: Code, pointer: String, _ message: String) {
        self.code = code
        self.pointer = pointer
        self.message = message
    }

    public var description: String {
        "invalid template (\(code.rawValue)) at \"\(pointer)\": \(message)"
    }
}
