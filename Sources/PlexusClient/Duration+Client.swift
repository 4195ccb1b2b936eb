import NIOCore

/// Conversions the client needs at its edges: seconds for JSON bodies, `TimeAmount` for NIO.
extension Duration {
    /// The duration in seconds, attoseconds included.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The same span for NIO APIs.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
