/// The HTTP load generator a run uses: wrk when it is on PATH, else AsyncHTTPClient in-process
/// (and the report says so, since those figures then include the client's CPU).
enum LoadGenerator: Sendable {
    case wrk(WrkRunner)
    case client(ClientLoadRunner)

    static func detect() -> LoadGenerator {
        WrkRunner.find().map(LoadGenerator.wrk) ?? .client(ClientLoadRunner())
    }

    var description: String {
        switch self {
        case .wrk(let wrk): "wrk (\(wrk.executable)), a separate process"
        case .client: "wrk NOT FOUND on PATH: fell back to AsyncHTTPClient in the bench process (figures include the client's CPU)"
        }
    }

    func run(url: String, body: [UInt8]? = nil, connections: Int, plan: BenchPlan) async throws -> LoadResult {
        switch self {
        case .wrk(let wrk):
            try await wrk.run(url: url, body: body, connections: connections, threads: plan.wrkThreads, seconds: plan.wrkSeconds)
        case .client(let client):
            try await client.run(url: url, body: body, connections: connections, seconds: plan.wrkSeconds)
        }
    }
}
