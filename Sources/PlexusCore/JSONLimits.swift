/// How much a single JSON document may ask of the parser.
///
/// JSON arrives from peers and HTTP clients we do not trust, so the parser refuses documents that
/// would cost far more to hold than they cost to send: deeply nested containers (which would
/// otherwise recurse without bound) and oversized strings. The defaults suit message payloads;
/// a shell that needs something tighter builds its own value once, at start-up.
public struct JSONLimits: Sendable, Hashable {
    /// The most containers (arrays or objects) that may enclose one another.
    ///
    /// A bare scalar has depth 0, `[]` has depth 1, `[[1]]` depth 2. The parser checks this before
    /// it descends, so a 10,000-deep `[[[[…` is rejected at the first bracket past the limit. The
    /// parser recurses once per level, so keep this in the low hundreds at most.
    public var maxDepth: Int

    /// The most UTF-8 bytes one decoded string (value or key) may hold.
    ///
    /// Unlimited by default: the transport already bounds the size of a whole document.
    public var maxStringBytes: Int

    public init(maxDepth: Int = 64, maxStringBytes: Int = .max) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }

    /// Depth 64, strings unlimited: what Plexus applies to every payload unless told otherwise.
    public static let `default` = JSONLimits()
}
