/// Where the next page of a newest-first query starts: strictly older than (`originTS`, `seq`).
///
/// Opaque to clients (`v1.<ts>.<seq>` in URL-safe characters); a cursor that does not parse is a
/// 400, never a silent restart from the top (RELIABILITY B6).
public struct QueryCursor: Sendable, Hashable, CustomStringConvertible {
    public var originTS: Timestamp
    public var seq: Int64

    public init(originTS: Timestamp, seq: Int64) {
        self.originTS = originTS
        self.seq = seq
    }

    public var description: String { "v1.\(originTS.microseconds).\(seq)" }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let ts = Int64(parts[1]), let seq = Int64(parts[2]), seq >= 0 else {
            return nil
        }
        self.init(originTS: Timestamp(microseconds: ts), seq: seq)
    }
}
