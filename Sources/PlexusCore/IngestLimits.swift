/// Input limits applied before anything is parsed, routed or stored (RELIABILITY B1, B2).
public struct IngestLimits: Sendable, Hashable {
    /// Largest HTTP body or WebSocket frame, in bytes.
    public var maxBodyBytes: Int
    /// Deepest JSON nesting accepted; deeper input is refused quickly, without recursion.
    public var maxDepth: Int
    /// Most messages in one batch (a JSON array).
    public var maxBatch: Int

    public init(maxBodyBytes: Int = 1 << 20, maxDepth: Int = 64, maxBatch: Int = 10_000) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDepth = maxDepth
        self.maxBatch = maxBatch
    }

    public static let `default` = IngestLimits()
}
