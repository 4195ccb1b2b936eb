/// How big each benchmark is. `--quick` shrinks the counts (not the shapes) so a run takes about a
/// minute for a smoke check; the full plan is what the published figures use.
struct BenchPlan: Sendable {
    var quick: Bool
    /// Rows in the store the query benchmark reads (`--rows`).
    var queryRows: Int
    /// Seconds per wrk run.
    var wrkSeconds: Int

    var rawRows: Int { quick ? 20_000 : 100_000 }
    var storeRows: Int { quick ? 40_000 : 200_000 }
    var storeTasks: Int { 16 }
    /// One-row appends for the store's single-message ceiling.
    var storeSingleRows: Int { quick ? 10_000 : 30_000 }
    var batchSize: Int { 100 }
    var httpBatchConnections: Int { 16 }
    var singleConnections: Int { 64 }
    var wrkThreads: Int { 2 }
    var webSocketConnections: Int { 4 }
    /// Frames per WebSocket connection when each frame holds one message.
    var webSocketSingleFrames: Int { quick ? 5_000 : 25_000 }
    /// Frames per WebSocket connection when each frame holds `batchSize` messages.
    var webSocketBatchFrames: Int { quick ? 100 : 500 }
    var queryRequests: Int { quick ? 1_000 : 2_000 }
    var queryWarmup: Int { 200 }
    var fillBatch: Int { 1_000 }
    var subjects: Int { 1_000 }
    var topics: Int { 100 }
    var fanoutClients: Int { 100 }
    var fanoutMessages: Int { quick ? 5_000 : 20_000 }
    var fanoutIngestTasks: Int { 4 }
}
