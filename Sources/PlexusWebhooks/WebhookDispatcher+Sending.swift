import PlexusCore

extension WebhookDispatcher {
    /// One attempt: sign, then a guarded POST (URL and every resolved address checked).
    /// Never throws: every way it can end is an outcome for the delivery state machine.
    nonisolated func send(_ job: Job) async -> WebhookAttemptOutcome {
        // Signed now, not at publish: receivers refuse stale timestamps, and a retry can come
        // hours later. The id stays the event's, so retries dedupe on the receiver.
        let signature = WebhookSigner(secrets: job.endpoint.secrets).headers(id: job.delivery.eventID, now: now(), body: job.delivery.body)
        return await poster.post(url: job.endpoint.url, headers: signature.fields, body: job.delivery.body, timeout: configuration.requestTimeout)
    }
}
