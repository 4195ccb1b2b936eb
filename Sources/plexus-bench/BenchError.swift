/// A benchmark that could not produce its figure, saying why in words a reader of the report can
/// act on (which step, what was expected).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
