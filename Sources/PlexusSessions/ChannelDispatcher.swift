import Crypto
import Foundation
import NIOCore
import NIOPosix
import PlexusCore
import PlexusWebhooks

/// The node's `ChannelSender`: renders the prompt for the channel's kind and sends it. Every
/// outbound connection goes through the address guard (RELIABILITY S4): HTTP through
/// `GuardedPoster`, SMTP to an address the guard checked after resolving the mail host.
public struct ChannelDispatcher: ChannelSender {
    let poster: GuardedPoster
    let smtp: SMTPClient
    let clock: @Sendable () -> Timestamp
    /// Logs a message the node originates (the `mesh` kind's prompt to a human subject).
    let publish: @Sendable (Envelope) async throws -> Void
    let node: String
    let timeout: Duration

    public init(
        poster: GuardedPoster, smtp: SMTPClient, clock: @escaping @Sendable () -> Timestamp,
        publish: @escaping @Sendable (Envelope) async throws -> Void, node: String, timeout: Duration = .seconds(10)
    ) {
        self.poster = poster
        self.smtp = smtp
        self.clock = clock
        self.publish = publish
        self.node = node
        self.timeout = timeout
    }

    public func deliver(_ prompt: ChannelPrompt, over channel: ChannelRecord) async -> ChannelDeliveryOutcome {
        do {
            switch channel.kind {
            case .inbox:
                // The page lists open sessions: being stored is being delivered.
                return .delivered
            case .webhook:
                let body = Self.webhookBody(prompt).serialized()
                var headers: [(name: String, value: String)] = []
                if let text = channel.metadata["secret"]?.stringValue {
                    let secret = try WebhookSecret(parsing: text)
                    // The id names the round: a receiver drops a retried delivery, not a re-prompt.
                    headers = WebhookSigner(secrets: [secret]).headers(id: "\(prompt.sessionID).\(prompt.round)", now: clock(), body: body).fields
                }
                return await post(try channel.string("endpoint_url"), headers: headers, body: body)
            case .slack:
                return await post(try channel.string("webhook_url"), headers: [], body: SlackMessage.payload(prompt).serialized())
            case .teams:
                return await post(try channel.string("webhook_url"), headers: [], body: TeamsCard.payload(prompt).serialized())
            case .email:
                return await mail(prompt, channel)
            case .mesh:
                try await publish(try meshPrompt(prompt, to: try channel.string("subject_id")))
                return .delivered
            }
        } catch let error as PlexusError {
            return Self.outcome(error, channel: channel.id)
        } catch {
            return .transient("channel \(channel.id): \(error)")
        }
    }

    /// A setting the channel lacks is permanent; the node's own log being busy or down (a mesh
    /// prompt not taken) passes, so it is retried.
    static func outcome(_ error: PlexusError, channel: String) -> ChannelDeliveryOutcome {
        switch error.code {
        case .unavailable, .rateLimited, .internalError: .transient("channel \(channel): \(error.message)")
        default: .permanent("channel \(channel): \(error.message)")
        }
    }

    /// The original custom-channel contract, `{session_id, message, response_url}`, plus what a
    /// richer receiver can use: the template, the last errors, the round, the inbox link.
    static func webhookBody(_ prompt: ChannelPrompt) -> JSONValue {
        [
            "session_id": .string(prompt.sessionID), "message": prompt.message, "response_url": .string(prompt.responseURL),
            "message_data_template": prompt.template?.source ?? .null, "errors": .array(prompt.errors.map(\.sessionJSON)),
            "round": .integer(Int64(prompt.round)), "inbox_url": .string(prompt.inboxURL),
            "expiry_date": prompt.expiresAt.map(HumanSession.epochSeconds) ?? .null, "subject_id": .string(prompt.subjectID),
        ]
    }

    func post(_ url: String, headers: [(name: String, value: String)], body: [UInt8]) async -> ChannelDeliveryOutcome {
        let outcome = await poster.post(url: url, headers: headers, body: body, timeout: timeout)
        // A receiver that says the request itself is wrong (a revoked Slack token, a deleted
        // Teams connector) will say so again: the session fails now instead of after an hour.
        if case .response(let code) = outcome, [400, 401, 403, 404, 405, 413, 422].contains(code) {
            return .permanent("the receiver answered HTTP \(code)")
        }
        switch outcome.verdict {
        case .delivered: return .delivered
        case .gone: return .permanent("the receiver answered 410 Gone")
        case .permanentFailure(let reason): return .permanent(reason)
        case .transientFailure(let reason): return .transient(reason)
        }
    }

    func mail(_ prompt: ChannelPrompt, _ channel: ChannelRecord) async -> ChannelDeliveryOutcome {
        do {
            let host = try channel.string("smtp_host")
            let port = Int(channel.metadata["smtp_port"]?.integerValue ?? 25)
            // The guard checks URLs; the mail host is checked as one (only host and port matter).
            let addresses: [OutboundAddress]
            switch await poster.addresses(for: "http://\(host):\(port)/") {
            case .addresses(_, let found): addresses = found
            case .failed(let outcome):
                if case .refused = outcome { return .permanent("\(outcome)") }
                return .transient("\(outcome)")
            }
            guard let address = addresses.first else { return .transient("\(host) resolved to no address") }
            let socket = try SocketAddress(packedIPAddress: ByteBuffer(bytes: address.bytes), port: port)
            let now = clock()
            let message = SMTPMessage.compose(
                from: try channel.string("from"), to: channel.recipients, subject: EmailText.subject(prompt), text: EmailText.body(prompt),
                date: now.seconds, messageID: "<\(prompt.sessionID).\(prompt.round).\(now.microseconds)@\(Self.mailDomain(node))>")
            var credentials: SMTPCredentials?
            if let user = channel.metadata["username"]?.stringValue {
                credentials = SMTPCredentials(username: user, password: channel.metadata["password"]?.stringValue ?? "")
            }
            try await smtp.send(message, to: socket, credentials: credentials, timeout: timeout)
            return .delivered
        } catch let error as SMTPError {
            return error.permanent ? .permanent(error.description) : .transient(error.description)
        } catch let error as PlexusError {
            return Self.outcome(error, channel: channel.id)
        } catch {
            return .transient("\(error)")
        }
    }

    /// A UUID (version 8, RFC 9562) derived from the session and round.
    static func promptID(session: String, round: Int) -> MessageID {
        var bytes = Array(SHA256.hash(data: Array("plexus-prompt|\(session)|\(round)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return MessageID(uuid)
    }

    /// A Message-ID domain from the node name (letters, digits, dots and dashes only).
    public static func mailDomain(_ node: String) -> String {
        let cleaned = String(node.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "." })
        return cleaned.isEmpty ? "plexus.invalid" : cleaned
    }

    /// The `mesh` kind: a message to the human subject wherever it is attached; the person's
    /// client answers through `response_url` (or the inbox link).
    func meshPrompt(_ prompt: ChannelPrompt, to subject: String) throws(PlexusError) -> Envelope {
        var draft = EnvelopeDraft(topic: try Topic(subject + "__human_intervention_requests"))
        // One id per session and round: a delivery retried after a crash is a duplicate the log
        // drops, so the person sees each round's prompt once.
        draft.messageID = Self.promptID(session: prompt.sessionID, round: prompt.round)
        draft.sourceSubjectID = "sessions_system"
        draft.destinationSubjectIDs = [subject]
        draft.messageType = "human_intervention_request"
        var data = Self.webhookBody(prompt)
        if case .object(var object) = data {
            object["event_type"] = "human_intervention_request"
            data = .object(object)
        }
        draft.messageData = data
        var rng = SystemRandomNumberGenerator()
        return draft.normalized(node: node, now: clock(), rng: &rng)
    }
}
