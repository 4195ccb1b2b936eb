/// A template's regular expression, compiled once when the template is saved.
///
/// JSON Schema patterns are ECMA-262 expressions searched anywhere in the string (`"b"` matches
/// `"abc"`; authors anchor with `^…$` themselves). Swift's `Regex` accepts that syntax; the options
/// below bring its matching closer to ECMA-262 with the `u` flag: it walks Unicode scalars rather than
/// grapheme clusters (so `^.$` matches one code point, as `minLength` counts), and `\d`, `\w` and `\b`
/// are ASCII-only as in ECMA-262.
///
/// A final class so that a compiled expression is shared by every copy of the template, with equality
/// and hashing by source text: two templates with the same pattern text are the same template.
public final class MessageTemplatePattern: Hashable, CustomStringConvertible,
    // Safe to share: both stored properties are immutable after init, and `Regex` compiles its matching
    // program lazily behind an atomic one-time initialisation (and we force it in init anyway), so
    // concurrent `matches` calls only read.
    @unchecked Sendable
{
    /// The pattern as the template wrote it.
    public let source: String
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `source`; nil when it is not a valid expression (the caller knows where it sits in
    /// the template and reports that).
    public init?(_ source: String) {
        guard let parsed = try? Regex(source) else { return nil }
        self.source = source
        self.regex = parsed
            .matchingSemantics(.unicodeScalar)
            .asciiOnlyDigits()
            .asciiOnlyWordCharacters()
            .wordBoundaryKind(.simple)
        // One search now, so the matching program is built at save time rather than by the first message.
        _ = matches("")
    }

    /// Whether the pattern occurs anywhere in `string` (an unanchored search, as JSON Schema specifies).
    public func matches(_ string: String) -> Bool {
        // firstMatch throws only for custom regex components, which a parsed pattern cannot contain.
        ((try? regex.firstMatch(in: string)) ?? nil) != nil
    }

    public static func == (lhs: MessageTemplatePattern, rhs: MessageTemplatePattern) -> Bool {
        lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }

    public var description: String { source }
}
