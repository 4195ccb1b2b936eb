/// What one HTTP load run measured: completed requests per second and anything that went wrong,
/// because a fast run full of errors is not a figure.
struct LoadResult: Sendable {
    var requestsPerSecond: Double
    var requests: Int
    var seconds: Double
    /// Responses outside 2xx/3xx.
    var failedResponses: Int
    /// Connect/read/write/timeout errors as the generator reports them, or nil when there were none.
    var socketErrors: String?
    var meanLatencyMilliseconds: Double?
    /// CPU of the node's process and the load generator over the run.
    var cpuNote: String

    /// A one-line summary for the report row's note.
    var note: String {
        var parts = ["\(requests) requests in \(BenchFigure.format(seconds)) s"]
        if let mean = meanLatencyMilliseconds { parts.append("mean latency \(BenchFigure.format(mean)) ms") }
        if failedResponses > 0 { parts.append("\(failedResponses) NON-2xx RESPONSES") }
        if let socketErrors { parts.append("socket errors: \(socketErrors)") }
        parts.append(cpuNote)
        return parts.joined(separator: "; ")
    }
}
