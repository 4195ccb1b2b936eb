/// Tunables of routing and forwarding. Defaults suit a LAN or a handful of WAN sites; the
/// simulator and the real node share them (docs/routing.md explains each).
public struct RoutingSettings: Sendable, Equatable {
    /// Cost of a link nobody has measured yet, in milliseconds: high enough that a measured
    /// link of ordinary latency is preferred, low enough that an unmeasured one is still used.
    public var unmeasuredRTTMilliseconds = 10.0
    /// Added per hop, so that among paths of similar latency the shorter one wins (on one LAN
    /// every RTT is a fraction of a millisecond and would otherwise decide nothing).
    public var hopPenaltyMilliseconds = 1.0
    /// Added per unit of a transit node's published load.
    public var loadPenaltyMilliseconds = 2.0
    /// Loss above this makes a link unusable; below it cost grows as 1/(1-loss)² (the expected
    /// transmissions of a message and its acknowledgement).
    public var maxUsableLoss = 0.5

    /// A message that has crossed this many nodes is not forwarded further (dead-lettered).
    /// It is the last guard against a loop, and it must outlast the transient loops of a mesh
    /// whose views disagree while a failure is detected: at 16, `routing-partition` seeds 33
    /// and 76 (of 120) dead-lettered acknowledged messages that went round the gateways of the
    /// cut side — several seconds of suspicions spreading, a lap every few milliseconds — or
    /// round clusters whose link health changed at once. At 32 all 120 seeds keep every message;
    /// the longest path a delivered message took in those runs is in the sim's `hops_max`.
    public var hopLimit = 32
    /// Bounds of the retransmission timeout, which otherwise follows each next hop's measured
    /// acknowledgement delay (smoothed delay + 4 × its deviation, as TCP does).
    public var minAckTimeout: Duration = .milliseconds(250)
    public var maxAckTimeout: Duration = .seconds(5)
    /// A next hop that has not acked anything for this long while messages wait for it is
    /// failed over to the alternative (see `RoutingCore.failAfter`).
    public var minFailSilence: Duration = .milliseconds(500)
    /// Retries of a target with no usable next hop (or one that keeps failing) back off up to this.
    public var maxRetryInterval: Duration = .seconds(5)
    /// How long a next hop that missed an acknowledgement is avoided in favour of the alternative
    /// route (cleared early by any acknowledgement it sends).
    public var failedHopHold: Duration = .seconds(10)
    /// Most messages held for forwarding (the outbox). Beyond it origins refuse new messages
    /// (503) and relays stop acknowledging, so upstream nodes keep them instead.
    public var outboxLimit = 100_000
    /// A message not handed on within this is dead-lettered (it is still in the log).
    public var expiry: Duration = .seconds(24 * 3600)
    /// Message ids remembered for de-duplication of retransmissions. The log's unique
    /// `message_uuid` catches older duplicates at a destination.
    public var dedupeWindow = 200_000
    /// Most unacknowledged transmissions per next hop: beyond it messages wait for acks, so a
    /// slow next hop (its disk, its link) slows its senders instead of overflowing its queues.
    /// The window actually used adapts below this (additive increase, halved on a timeout), so
    /// a next hop's queue stays shorter than its ack timeout.
    public var maxInFlightPerHop = 4_096
    /// The window a next hop starts with, and the least it is cut to.
    public var initialWindow = 512
    public var minWindow = 32
    /// Most messages sent in one burst of the retry tick (keeps one tick's work bounded).
    public var maxSendsPerTick = 4_096

    public init() {}
}
