import Foundation

/// One printed figure: what was measured, its value, and (when the issue sets one) its target.
struct BenchFigure: Sendable {
    /// The numbered section of the report it belongs to ("3. HTTP batch ingest").
    var section: String
    var name: String
    var value: Double
    var unit: String
    var target: BenchTarget?
    /// How it was measured or what limited it, for the reader of the report.
    var note: String?

    init(_ section: String, _ name: String, _ value: Double, _ unit: String, target: BenchTarget? = nil, note: String? = nil) {
        self.section = section
        self.name = name
        self.value = value
        self.unit = unit
        self.target = target
        self.note = note
    }

    var met: Bool? { target?.isMet(by: value) }

    /// Large rates with thousands separators and no decimals; small values (latencies in ms) with
    /// enough decimals to compare against a 2 ms target.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if abs(value) >= 1_000 {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            formatter.usesGroupingSeparator = true
            formatter.groupingSeparator = ","
            return formatter.string(from: NSNumber(value: value.rounded())) ?? String(Int(value.rounded()))
        }
        if abs(value) >= 100 { return String(format: "%.0f", value) }
        if abs(value) >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.3f", value)
    }
}
