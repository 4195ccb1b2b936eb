import PlexusAPI
import PlexusCore

extension Result where Success == IngestReceipt, Failure == PlexusError {
    /// The log could not take the item (it is fine; retry it). Anything else that failed is the
    /// item's own fault and is dead-lettered or answered with the error.
    var isUnavailable: Bool {
        if case .failure(let error) = self { return error.code == .unavailable }
        return false
    }

    /// The item must wait, not be dead-lettered: the log is down, or a rate limit is exhausted
    /// (a queue consumer is the one place where waiting costs no client anything).
    var mustWait: Bool {
        if case .failure(let error) = self { return error.code == .unavailable || error.code == .rateLimited }
        return false
    }

    var retryAfter: Duration? {
        if case .failure(let error) = self, let seconds = error.retryAfterSeconds { return .seconds(seconds) }
        return nil
    }
}

extension MessageIngestor {
    /// Ingests `items`, retrying only those that must wait (backing off, at least as long as a
    /// rate limit asks), until none must or the task is cancelled. Items already logged are not
    /// sent again, so an edge without message ids never logs one twice.
    func ingestWaiting(_ items: [IngestItem], via ingress: Ingress, waiting: ([Result<IngestReceipt, PlexusError>]) -> Void) async
        -> [Result<IngestReceipt, PlexusError>]
    {
        var results = await ingest(each: items, via: ingress)
        var backoff = Duration.milliseconds(50)
        while !Task.isCancelled {
            let pending = results.indices.filter { results[$0].mustWait }
            if pending.isEmpty { break }
            waiting(results)
            let asked = pending.compactMap { results[$0].retryAfter }.max() ?? .zero
            try? await Task.sleep(for: max(backoff, asked))
            backoff = min(backoff * 2, .seconds(5))
            let retried = await ingest(each: pending.map { items[$0] }, via: ingress)
            for (index, result) in zip(pending, retried) { results[index] = result }
        }
        return results
    }
}
