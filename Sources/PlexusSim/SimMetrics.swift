import PlexusCore

/// What the simulator measures while a scenario runs: how long news takes to reach every node,
/// how long failures take to be noticed, wrong verdicts, and bytes on the wire.
struct SimMetrics {
    enum Verdict { case expected, paused, falseDead }

    enum Category: Int, CaseIterable {
        /// `data`: data frames and their acks (routing scenarios).
        case probe, gossip, sync, data
        var name: String { ["probe", "gossip", "sync", "data"][rawValue] }
    }

    struct Pending {
        var start: Int64
        var waiting: Set<Int>
    }

    struct PendingUpdate {
        var version: EntryVersion
        var start: Int64
        var waiting: Set<Int>
    }

    struct CrashTrack {
        var at: Int64
        var suspectWaiting: Set<Int>
        var deadWaiting: Set<Int>
    }

    var measureFrom: Int64 = 0
    var runningCount = 0
    var lastTime: Int64 = 0
    var nodeSeconds = 0.0
    var measuredNodeSeconds = 0.0
    var bytes = [Int](repeating: 0, count: Category.allCases.count)
    var messages = 0

    var joins: [Int: Pending] = [:]
    var joinLatencies: [Double] = []
    var updates: [RegistryKey: [PendingUpdate]] = [:]
    var updateLatencies: [Double] = []
    var crashes: [Int: CrashTrack] = [:]
    var suspectLatencies: [Double] = []
    var deadLatencies: [Double] = []
    var falseDead = 0
    var pausedDead = 0
    var suspicionsOfLiveNodes = 0

    /// The newest version each owner published of each key, and when: convergence at the end
    /// ignores versions younger than a moment (they are still in flight by design).
    var lastPublish: [RegistryKey: (version: EntryVersion, at: Int64)] = [:]
    var left: Set<Int> = []
    var lastRestart: [Int: Int64] = [:]
    var pauses: [Int: [(from: Int64, to: Int64)]] = [:]
    var lastPartitionChange: Int64?
    var oneWayChanges: [Int64] = []

    static func category(of message: MeshMessage) -> Category {
        switch message {
        case .ping, .pingReq, .ack, .nack: .probe
        case .gossip: .gossip
        case .syncDigest, .syncBuckets, .syncSummary, .syncUpdate: .sync
        }
    }

    mutating func advance(to t: Int64, running: Int) {
        guard t > lastTime else { return }
        let dt = Double(t - lastTime) / 1e9
        nodeSeconds += Double(running) * dt
        if t > measureFrom {
            measuredNodeSeconds += Double(running) * Double(t - max(lastTime, measureFrom)) / 1e9
        }
        lastTime = t
    }

    mutating func sent(_ size: Int, category: Category, at t: Int64) {
        messages += 1
        if t >= measureFrom { bytes[category.rawValue] += size }
    }

    mutating func started(_ i: Int, observers: [Int], at t: Int64) {
        runningCount += 1
        crashes[i] = nil
        if !observers.isEmpty { joins[i] = Pending(start: t, waiting: Set(observers)) }
    }

    mutating func crashed(_ x: Int, observers: [Int], at t: Int64) {
        stopped(x, at: t)
        let others = Set(observers).subtracting([x])
        crashes[x] = CrashTrack(at: t, suspectWaiting: others, deadWaiting: others)
    }

    /// `x` no longer runs: it stops waiting for anything, and nothing waits for it.
    mutating func stopped(_ x: Int, at t: Int64) {
        runningCount -= 1
        joins[x] = nil
        for key in joins.keys.sorted() { complete(join: key, observer: x, at: t, counts: false) }
        for key in updates.keys.sorted() {
            for i in updates[key]!.indices { updates[key]![i].waiting.remove(x) }
            flushUpdates(key, at: t)
        }
        for key in crashes.keys.sorted() {
            crashes[key]!.suspectWaiting.remove(x)
            crashes[key]!.deadWaiting.remove(x)
        }
    }

    /// `observer` has the joiner alive (`counts`), or stopped running (not a sighting: when it
    /// was the last one waiting, the join is dropped rather than timed by a crash).
    mutating func complete(join subject: Int, observer: Int, at t: Int64, counts: Bool = true) {
        guard var p = joins[subject], p.waiting.remove(observer) != nil else { return }
        if p.waiting.isEmpty {
            if counts { joinLatencies.append(Double(t - p.start) / 1e9) }
            joins[subject] = nil
        } else {
            joins[subject] = p
        }
    }

    mutating func sawAlive(_ subject: Int, observer: Int, at t: Int64) {
        complete(join: subject, observer: observer, at: t)
    }

    mutating func sawFailure(_ subject: Int, observer: Int, dead: Bool, verdict: Verdict?, at t: Int64) {
        if var c = crashes[subject] {
            if c.suspectWaiting.remove(observer) != nil { suspectLatencies.append(Double(t - c.at) / 1e9) }
            if dead, c.deadWaiting.remove(observer) != nil { deadLatencies.append(Double(t - c.at) / 1e9) }
            crashes[subject] = c
            return
        }
        if !dead { suspicionsOfLiveNodes += 1 }
        switch verdict {
        case .falseDead?: falseDead += 1
        case .paused?: pausedDead += 1
        default: break
        }
    }

    mutating func published(_ change: RegistryChange, origin: Int, observers: [Int], at t: Int64) {
        guard !observers.isEmpty else { return }
        updates[change.key, default: []].append(PendingUpdate(version: change.version, start: t, waiting: Set(observers)))
    }

    mutating func registryChanged(_ change: RegistryChange, observer: Int, at t: Int64) {
        guard updates[change.key] != nil else { return }
        for i in updates[change.key]!.indices where updates[change.key]![i].version <= change.version {
            updates[change.key]![i].waiting.remove(observer)
        }
        flushUpdates(change.key, at: t)
    }

    mutating func flushUpdates(_ key: RegistryKey, at t: Int64) {
        guard let list = updates[key] else { return }
        var rest: [PendingUpdate] = []
        for p in list {
            if p.waiting.isEmpty { updateLatencies.append(Double(t - p.start) / 1e9) } else { rest.append(p) }
        }
        updates[key] = rest.isEmpty ? nil : rest
    }

    mutating func paused(_ x: Int, from: Int64, to: Int64) {
        pauses[x, default: []].append((from, to))
    }

    func pausedRecently(_ x: Int, at t: Int64, grace: Int64) -> Bool {
        pauses[x]?.contains { $0.from <= t && t <= $0.to + grace } ?? false
    }

    /// A one-way loss rule started or ended within `grace` before `t`.
    func oneWayChangedRecently(at t: Int64, grace: Int64) -> Bool {
        oneWayChanges.contains { t - $0 < grace }
    }

    /// Trackers started in the last `grace` before the end are not counted as missed.
    func unseen(end: Int64, grace: Int64) -> (joins: Int, updates: Int, undetected: Int) {
        let joinsMissed = joins.values.filter { end - $0.start > grace }.count
        let updatesMissed = updates.values.flatMap { $0 }.filter { end - $0.start > grace }.count
        let undetected = crashes.values.filter { end - $0.at > grace }.map { $0.deadWaiting.count }.reduce(0, +)
        return (joinsMissed, updatesMissed, undetected)
    }
}

/// Nearest-rank percentile (0 for no samples).
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank - 1, 0), sorted.count - 1)]
}
