/// Durations as the floating-point seconds and milliseconds the report prints.
extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    var milliseconds: Double { seconds * 1_000 }
}
