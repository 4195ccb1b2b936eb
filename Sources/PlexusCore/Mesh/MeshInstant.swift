/// A point on a node's monotonic clock, in nanoseconds from an arbitrary origin. The mesh core
/// never reads a clock: the shell (or the simulator's virtual clock) passes `now` in.
public struct MeshInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = MeshInstant(nanoseconds: 0)

    public static func < (lhs: MeshInstant, rhs: MeshInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: MeshInstant, rhs: Duration) -> MeshInstant {
        MeshInstant(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    public static func - (lhs: MeshInstant, rhs: MeshInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public var description: String { "\(seconds)s" }
}

extension Duration {
    /// Whole nanoseconds, saturating; durations in the mesh are far below the overflow range.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    public var secondsDouble: Double { Double(nanoseconds) / 1e9 }

    /// `self * factor`, for scaling timeouts by the local health multiplier and suspicion maths.
    public func scaled(by factor: Double) -> Duration { .nanoseconds(Int64((Double(nanoseconds) * factor).rounded())) }
}
