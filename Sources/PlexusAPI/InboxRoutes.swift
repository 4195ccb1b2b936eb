import Hummingbird
import NIOCore
import PlexusCore
import PlexusSessions

/// The node's web inbox: `GET /inbox` lists open sessions, `GET /inbox/{id}?token=…` shows a
/// form generated from the session's template, `POST /inbox/{id}?token=…` answers or declines.
/// Plain HTML forms, no JavaScript: it works in any browser and in a mail client's link.
///
/// The token in the links is the round's capability (`SessionToken`); the list page shows
/// links with tokens, so `/inbox` must be reachable only by the people meant to answer
/// (docs/human-in-the-loop.md: put it behind the organisation's proxy or VPN).
enum InboxRoutes {
    static func add(to router: Router<BasicRequestContext>, sessions: SessionService, node: String, limit: Int) {
        router.get("/inbox") { _, _ in
            var open: [HumanSession] = []
            for status in [SessionStatus.pending, .sent, .responded] {
                open += try await sessions.list(status: status, subject: nil, limit: 500)
            }
            open.sort { $0.createdAt > $1.createdAt }
            return html(InboxPage.list(open.map { sessions.prompt(for: $0) }, node: node))
        }
        router.get("/inbox/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let session = try await sessions.session(id)
            guard !session.status.isFinal else {
                return html(InboxPage.done(sessionID: id, status: session.status.rawValue, message: session.reason ?? "This session is closed."))
            }
            let prompt = sessions.prompt(for: session)
            let token = HTTPRoutes.queryPairs(request).first { $0.0 == "token" }?.1
            // A link of an earlier round (the person was asked again) shows the current form only
            // to whoever has the current link.
            guard token == sessions.token(for: session) else {
                return html(InboxPage.done(sessionID: id, status: session.status.rawValue,
                                           message: "This link is no longer valid; open the latest prompt for this session."), status: .forbidden)
            }
            return html(InboxPage.form(prompt, postURL: "/inbox/\(SessionService.pathEscaped(id))?token=\(token ?? "")"))
        }
        router.post("/inbox/:id") { request, context in
            let id = try HTTPRoutes.pathParameter(context, "id")
            let token = HTTPRoutes.queryPairs(request).first { $0.0 == "token" }?.1
            guard let token, !token.isEmpty else { throw PlexusError(.forbidden, "the answer link has no token; open the link from the prompt") }
            let bytes = Array(try await HTTPRoutes.collectBody(request, limit: limit).readableBytesView)
            let session = try await sessions.session(id)
            let submission = try InboxSubmission.decode(try FormURLEncoded.decode(bytes), template: try session.template())
            let action: SessionEvent = switch submission.action {
            case .answer(let data): .reply(data, approver: submission.approver)
            case .decline(let reason): .decline(reason: reason, approver: submission.approver)
            }
            do {
                let after = try await sessions.callback(sessionID: id, token: token, action: action)
                return html(InboxPage.done(sessionID: id, status: after.status.rawValue, message: "Thank you, your answer was recorded."))
            } catch let error as PlexusError where error.code == .invalidData {
                // Re-prompted: show the new round's form with what was wrong.
                let again = try await sessions.session(id)
                guard !again.status.isFinal else {
                    return html(InboxPage.done(sessionID: id, status: again.status.rawValue, message: error.message), status: .unprocessableContent)
                }
                let prompt = sessions.prompt(for: again)
                return html(InboxPage.form(prompt, postURL: "/inbox/\(SessionService.pathEscaped(id))?token=\(sessions.token(for: again))",
                                           notice: "Your answer was not accepted; please correct it."), status: .unprocessableContent)
            }
        }
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .init("Content-Security-Policy")!: InboxPage.contentSecurityPolicy],
                 body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}
