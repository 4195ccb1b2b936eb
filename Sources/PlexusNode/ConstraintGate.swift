import Logging
import PlexusAPI
import PlexusCore
import PlexusStore
import Synchronization

/// The shell around the constraint checker: reads the current `ConstraintSet` from the config
/// store, the clock for rate limits, and keeps the token buckets. Every ingress goes through it
/// before anything is logged or routed.
final class ConstraintGate: Sendable {
    let config: ConfigStore
    let organisation: String
    let node: String
    let clock: @Sendable () -> Timestamp
    private let limiter = Mutex(RateLimiter())
    /// Told of each decision worth a notification (denied, routed, tagged), for webhooks.
    let notify: @Sendable ([(event: String, envelope: Envelope)]) -> Void

    init(config: ConfigStore, organisation: String, node: String, clock: @escaping @Sendable () -> Timestamp,
         notify: @escaping @Sendable ([(event: String, envelope: Envelope)]) -> Void = { _ in }) {
        self.config = config
        self.organisation = organisation
        self.node = node
        self.clock = clock
        self.notify = notify
    }

    /// The result for a batch: all accepted (possibly changed by policies), or refused with the
    /// first error (located at its element) and the denied envelopes to keep for audit.
    enum Verdict {
        /// Let in; `charges` are the rate-limit tokens taken, to give back if the log refuses.
        case accepted([Envelope], charges: [RateCharge])
        case refused(PlexusError, denied: [Envelope])
    }

    /// Checks a batch all-or-nothing, like the rest of ingest: one refused message refuses the
    /// batch, so a client never has to work out which half went through.
    func check(_ envelopes: [Envelope], ingress: String, organisation: String? = nil, batch: Bool) -> Verdict {
        let constraints = config.constraints
        guard !constraints.isEmpty else {
            // Nothing configured: still drop a client-supplied decision.
            var envelopes = envelopes
            NodeRuntime.stripDecisions(&envelopes)
            return .accepted(envelopes, charges: [])
        }
        let context = ConstraintContext(organisation: organisation ?? self.organisation, ingress: ingress, node: node)
        var accepted: [Envelope] = []
        var charges: [RateCharge] = []
        var denied: [Envelope] = []
        var firstError: PlexusError?
        for (index, envelope) in envelopes.enumerated() {
            switch constraints.evaluate(envelope, context: context) {
            case .accepted(let checked, let owed):
                accepted.append(checked)
                charges += owed
            case .denied(let checked, let error):
                denied.append(checked)
                if firstError == nil { firstError = batch ? error.located(under: "/\(index)") : error }
            }
        }
        if let firstError {
            // The rest of the batch was not accepted either: only the denials are events.
            notify(denied.map { (Self.event(for: $0), $0) })
            return .refused(firstError, denied: denied)
        }
        if !charges.isEmpty, let refusal = limiter.withLock({ $0.take(charges, now: clock()) }) {
            let shown = refusal.key.replacingOccurrences(of: "\u{1F}", with: ",")
            guard let wait = refusal.retryAfter else {
                return .refused(PlexusError(.tooLarge, "the batch needs more tokens of rate limit \(refusal.limit) for \(shown) than its burst; send smaller batches"),
                                denied: [])
            }
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            return .refused(PlexusError(.rateLimited, "rate limit \(refusal.limit) is exhausted for \(shown); retry in \(seconds) s",
                                        retryAfterSeconds: seconds), denied: [])
        }
        notify(accepted.compactMap { envelope in
            switch envelope.policyDecision?["decision"]?.stringValue {
            case "routed": ("policy.routed", envelope)
            case "tagged": ("policy.tagged", envelope)
            default: nil
            }
        })
        return .accepted(accepted, charges: charges)
    }

    /// Gives back the tokens of messages the log then refused (503): the client retries them.
    func giveBack(_ charges: [RateCharge]) {
        guard !charges.isEmpty else { return }
        limiter.withLock { $0.giveBack(charges) }
    }

    static func event(for denied: Envelope) -> String {
        denied.policyDecision?["action"]?.stringValue == "validate" ? "validation.failed" : "policy.denied"
    }

    /// Denied messages go to the dead letters with their decision: out of the log (they were not
    /// accepted, and their `message_uuid` stays free for a corrected resend) but kept for audit
    /// (`GET /v1/messages?decision=denied`).
    /// Largest denied message kept whole in the dead letters.
    static let maxKeptBytes = 16 << 10

    static func keep(_ denied: [Envelope], in store: any MessageStore, now: Timestamp) {
        guard !denied.isEmpty else { return }
        store.deadLetter(denied.map { envelope in
            let reason = envelope.policyDecision?["reason"]?.stringValue ?? "denied"
            var kept = envelope
            var json = kept.serialized()
            if json.count > maxKeptBytes {
                // The decision is what the audit needs; a large body is cut to its size.
                kept.messageData = ["truncated_bytes": .integer(Int64(envelope.messageData.serialized().count))]
                json = kept.serialized()
            }
            return DeadLetter(messageID: envelope.messageID, at: now, reason: "denied: \(reason)", targets: [], json: json)
        })
    }
}
