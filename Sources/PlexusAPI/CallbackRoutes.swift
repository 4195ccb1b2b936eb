import Crypto
import Hummingbird
import PlexusCore
import PlexusSessions

/// Where people's answers come back: the original `POST /webhook-response` (a channel's call to
/// the prompt's `response_url`) and Slack's interactivity callbacks. Each callback takes effect
/// at most once (`SessionService.callback`).
enum CallbackRoutes {
    static func add(to router: Router<BasicRequestContext>, config: ConfigStore, sessions: SessionService, clock: @escaping @Sendable () -> Timestamp,
                    limit: Int) {
        router.post("/webhook-response") { request, _ in
            let body = try await RegistryRoutes.readJSON(request, limit: limit)
            guard let sessionID = body["session_id"]?.stringValue else {
                throw PlexusError(.invalidField, "session_id is required", pointer: "/session_id")
            }
            let token = HTTPRoutes.queryPairs(request).first { $0.0 == "token" }?.1
            let approver = try SessionRoutes.approver(body)
            let action: SessionEvent
            if body["decline"]?.boolValue == true {
                action = .decline(reason: try SessionRoutes.reason(body), approver: approver)
            } else {
                guard let data = body["response_data"] else {
                    throw PlexusError(.invalidField, "response_data is required", pointer: "/response_data")
                }
                action = .reply(data, approver: approver)
            }
            let session = try await sessions.callback(sessionID: sessionID, token: token, action: action)
            return Response.json(["success": true, "session_id": .string(session.id), "status": .string(session.status.rawValue)])
        }

        router.post("/v1/channels/:id/slack/interactions") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let channel = try ChannelRoutes.channel(config, id)
            guard channel.kind == .slack else { throw PlexusError(.notFound, "channel \(id) is not a Slack channel") }
            let bytes = Array(try await HTTPRoutes.collectBody(request, limit: limit).readableBytesView)
            do {
                try SlackSignature.verify(
                    secret: try channel.string("signing_secret"), timestampHeader: request.headers[values: .init("X-Slack-Request-Timestamp")!].first,
                    signatureHeader: request.headers[values: .init("X-Slack-Signature")!].first, body: bytes, now: clock())
            } catch {
                throw PlexusError(.forbidden, "the Slack signature does not verify: \(error)")
            }
            let interaction = try SlackInteraction.parse(formBody: bytes)
            // This channel's secret vouches for answers to this channel's prompts only.
            guard try await sessions.session(interaction.sessionID).channelID == id else {
                throw PlexusError(.forbidden, "session \(interaction.sessionID) was not sent to channel \(id)")
            }
            let action: SessionEvent
            switch interaction.action {
            case .answer(let data): action = .reply(data, approver: interaction.user)
            case .decline: action = .decline(reason: "declined in Slack", approver: interaction.user)
            case .openForm:
                // The link button opens the inbox in the browser; Slack still reports the click.
                return Response.json(["text": "Opening the form."])
            }
            // Slack resends a callback it saw no answer to: its bytes are the replay key.
            let key = "slack:" + Hex.encode(SHA256.hash(data: bytes))
            let session = try await sessions.callback(sessionID: interaction.sessionID, token: nil, action: action, key: key)
            return Response.json(["text": .string("Session \(session.id) is \(session.status.rawValue).")])
        }
    }
}

