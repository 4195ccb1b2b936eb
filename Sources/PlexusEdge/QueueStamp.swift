/// The mark the Redis edge puts on an item as it moves it from a list to its processing list:
/// `<seq>,<ms>,<item>`, where `seq` counts the items this node took from that list (a Redis
/// counter, so it survives the node) and `ms` is the Redis server's clock at the move.
///
/// The mark gives an item that carries no `message_uuid` the same id every time it is processed:
/// a node killed after logging an item but before removing it from the processing list logs it
/// again after the restart under that same id, and the log keeps it once.
public struct QueueStamp: Sendable, Hashable {
    public var seq: Int64
    public var milliseconds: Int64

    public init(seq: Int64, milliseconds: Int64) {
        self.seq = seq
        self.milliseconds = milliseconds
    }

    /// A UUIDv7 has 48 bits of milliseconds; a larger "stamp" was not written by the script.
    static let maxMilliseconds: Int64 = (1 << 48) - 1

    /// Splits a stamped processing-list entry into its stamp and the item as the client pushed
    /// it. An entry without a valid stamp (left by another tool, or pushed by hand) is the item
    /// itself with no stamp: it is still processed, only without a stable fallback id.
    public static func split(_ entry: [UInt8]) -> (stamp: QueueStamp?, item: ArraySlice<UInt8>) {
        let comma = UInt8(ascii: ",")
        guard let first = entry.firstIndex(of: comma), first > 0, first <= 19,
              let second = entry[(first + 1)...].firstIndex(of: comma), second > first + 1, second - first <= 20,
              let seq = decimal(entry[..<first]), let ms = decimal(entry[(first + 1)..<second]),
              ms <= maxMilliseconds
        else { return (nil, entry[...]) }
        return (QueueStamp(seq: seq, milliseconds: ms), entry[(second + 1)...])
    }

    /// The stamped form of `item` (what the move script writes, here for tests and recovery).
    public func stamped(_ item: some Collection<UInt8>) -> [UInt8] {
        Array("\(seq),\(milliseconds),".utf8) + item
    }

    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
