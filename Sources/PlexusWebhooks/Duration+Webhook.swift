extension Duration {
    /// Whole microseconds, the unit of `Timestamp` and of the delivery log's columns.
    var webhookMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
