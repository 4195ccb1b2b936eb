import PlexusCore

/// One simulated node process: the real `MeshCore` (and, in routing scenarios, the real
/// `RoutingCore`) plus what the simulator knows about the process (running, crashed, paused),
/// its clock and its disk.
struct SimNode {
    enum State: Equatable { case notStarted, running, crashed }

    let index: Int
    let id: NodeID
    let organisation: String
    let cluster: String
    let signingKey: NodeSigningKey
    var core: MeshCore?
    var routing: RoutingCore?
    /// Survives crashes; everything else here but the identity is lost with the process.
    var durable = DurableLog()
    /// Accepted messages whose log write (fsync) has not completed.
    var writes: [MessageID: PendingWrite] = [:]
    /// Messages made durable in this life of the process (to spot a second acceptance).
    var persisted: Set<MessageID> = []
    var state: State = .notStarted
    /// Bumped on every (re)start: timers and deliveries of an earlier life are dropped.
    var life = 0
    var pausedUntil: Int64?
    /// Messages and timers that came due while paused, replayed in order on resume.
    var backlog: [(time: Int64, event: SimEvent)] = []
    var drift = 0.0
    var offsetNanos: Int64 = 0

    var isRunning: Bool { state == .running }

    /// This node's clock reading at true time `t`: skewed clocks run fast or slow from an offset.
    func localNow(_ t: Int64) -> MeshInstant {
        MeshInstant(nanoseconds: offsetNanos &+ t &+ Int64(Double(t) * drift))
    }

    /// True time until a timer of local duration `d` fires. Rounded up: rounding down would let a
    /// skewed node's timer fire a hair before its local deadline, re-arm for the remainder, round
    /// to zero again, and spin at one instant forever.
    func trueDelay(_ d: Duration) -> Int64 {
        let n = max(d.nanoseconds, 0)
        return drift == 0 || n == 0 ? n : max(1, Int64((Double(n) / (1 + drift)).rounded(.up)))
    }
}

/// Everything on the simulator's agenda.
enum SimEvent {
    case deliver(to: Int, from: Int, life: Int, message: MeshMessage)
    case timer(node: Int, life: Int, MeshTimer)
    case linkDown(node: Int, life: Int, peer: Int)
    case action(Int)
    case resume(node: Int)
    case data(to: Int, from: Int, life: Int, frame: DataFrame)
    case acks(to: Int, from: Int, life: Int, acks: [DataAck])
    /// The log write of `id` on `node` completed.
    case fsync(node: Int, life: Int, id: MessageID)
    case routingTimer(node: Int, life: Int, RoutingTimer)
    /// Look whether the route tables agree (while a topology change is unsettled).
    case agreementCheck
}
