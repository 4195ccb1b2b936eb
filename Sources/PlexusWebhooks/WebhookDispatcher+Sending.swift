import PlexusCore

extension WebhookDispatcher {
    /// One attempt: guard the URL, resolve, guard every address, sign, POST to a checked address.
    /// Never throws: every way it can end is an outcome for the delivery state machine.
    nonisolated func send(_ job: Job) async -> WebhookAttemptOutcome {
        let addressGuard = configuration.addressGuard
        let target: AddressGuardTarget
        do {
            target = try addressGuard.check(url: job.endpoint.url)
        } catch {
            return .refused(error.message)
        }
        var addresses: [OutboundAddress]
        if let literal = target.literalAddress {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolver.resolve(host: target.host)
            } catch {
                return .connectionFailed((error as? WebhookSendError)?.message ?? "cannot resolve \(target.host): \(error)")
            }
        }
        do {
            addresses = try addressGuard.check(resolved: addresses, for: target)
        } catch {
            return .refused(error.message)
        }

        // Signed now, not at publish: receivers refuse stale timestamps, and a retry can come
        // hours later. The id stays the event's, so retries dedupe on the receiver.
        let signature = WebhookSigner(secrets: job.endpoint.secrets).headers(id: job.delivery.eventID, now: now(), body: job.delivery.body)
        var lastError = "no address to connect to"
        // Further addresses are tried only when connecting failed, i.e. nothing was sent yet;
        // two at most, so one attempt stays near one timeout.
        for address in addresses.prefix(2) {
            do {
                let code = try await client.post(
                    to: target, at: address, headers: signature.fields, body: job.delivery.body,
                    timeout: configuration.requestTimeout
                )
                return .response(statusCode: code)
            } catch let error as WebhookSendError {
                switch error.stage {
                case .timeout: return .timedOut
                case .connect, .resolve: lastError = error.message
                case .exchange: return .connectionFailed(error.message)
                }
            } catch {
                return .connectionFailed("\(error)")
            }
        }
        return .connectionFailed(lastError)
    }
}
