/// A target from the performance issue that a figure is judged against, so the report says plainly
/// which targets are met on this machine.
struct BenchTarget: Sendable {
    enum Comparison: String, Sendable { case atLeast = "≥", below = "<" }

    var comparison: Comparison
    var bound: Double

    static func atLeast(_ bound: Double) -> BenchTarget { BenchTarget(comparison: .atLeast, bound: bound) }
    static func below(_ bound: Double) -> BenchTarget { BenchTarget(comparison: .below, bound: bound) }

    func isMet(by value: Double) -> Bool {
        switch comparison {
        case .atLeast: value >= bound
        case .below: value < bound
        }
    }

    var text: String { "\(comparison.rawValue) \(BenchFigure.format(bound))" }
}
