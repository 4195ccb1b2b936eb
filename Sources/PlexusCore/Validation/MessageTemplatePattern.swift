/// A template's regular expression, compiled once when the template is saved.
///
/// JSON Schema patterns are searched anywhere in the string (`"b"` matches `"abc"`; authors anchor
/// with `^…$` themselves). Matching uses the policy language's automaton (`PolicyExpressionRegex`,
/// the RE2 subset), not Swift's backtracking `Regex`: a template author's `(a+)+$` must not stall a
/// node on every message. Time is linear in the text times the pattern, and bounded besides.
/// Scalars, not grapheme clusters (so `^.$` matches one code point, as `minLength` counts).
public struct MessageTemplatePattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the template wrote it.
    public let source: String
    private let regex: PolicyExpressionRegex

    /// Steps one match may take; past it the value does not match (and is reported as such).
    static let budget = 50_000_000

    /// Compiles `source`; nil when it is not a valid expression of the supported subset (the
    /// caller knows where it sits in the template and reports that).
    public init?(_ source: String) {
        guard let regex = try? PolicyExpressionRegex(source) else { return nil }
        self.source = source
        self.regex = regex
    }

    /// Whether the pattern occurs anywhere in `string`.
    public func matches(_ string: String) -> Bool {
        var steps = 0
        return regex.matches(string, budget: Self.budget, steps: &steps) ?? false
    }

    public static func == (lhs: MessageTemplatePattern, rhs: MessageTemplatePattern) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
    public var description: String { source }
}
