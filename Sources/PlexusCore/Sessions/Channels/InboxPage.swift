/// The node's built-in web inbox for human-in-the-loop sessions: the pages as HTML text.
///
/// Pure so that the pages can be tested without a server; the HTTP shell only serves them. Each
/// page is a complete HTML5 document with its CSS inline and no script or external resource, so it
/// works in any browser, behind any proxy, and under the strict `contentSecurityPolicy` below.
/// Everything that comes from a session (question, subject, template names, errors, URLs) is
/// HTML-escaped: the question is written by an agent, and an agent must not be able to run script
/// in the browser of the person it asks.
public enum InboxPage {
    /// The `Content-Security-Policy` header the shell should send with every inbox page: nothing may
    /// load or run, the inline style excepted, and forms post only to the node itself.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The open sessions of a node, each linking to its form (`ChannelPrompt.inboxURL`).
    public static func list(_ prompts: [ChannelPrompt], node: String) -> String {
        var body = "<h1>Inbox</h1>\n<p class=\"meta\">Open questions on node <code>\(escape(node))</code></p>\n"
        if prompts.isEmpty {
            body += "<p>No open questions.</p>\n"
        } else {
            body += "<table>\n<thead><tr><th>Question</th><th>From</th><th>Expires</th></tr></thead>\n<tbody>\n"
            for prompt in prompts {
                let round = prompt.round > 1 ? " <span class=\"hint\">(asked again, round \(prompt.round))</span>" : ""
                body += "<tr><td><a href=\"\(escape(prompt.inboxURL))\">\(escape(summary(prompt.text)))</a>\(round)</td>"
                body += "<td>\(escape(prompt.subjectID))</td><td>\(expiry(prompt.expiresAt))</td></tr>\n"
            }
            body += "</tbody>\n</table>\n"
        }
        return document(title: "Inbox · \(node)", body: body)
    }

    /// The page shown after a submission: what became of the session (`status`, e.g. `validated`,
    /// `declined`) and a sentence for the person (`message`).
    public static func done(sessionID: String, status: String, message: String) -> String {
        let body = """
            <h1>\(escape(message))</h1>
            <p class="meta">Session <code>\(escape(sessionID))</code> is now <strong>\(escape(status))</strong>.</p>
            <p>You can close this page.</p>

            """
        return document(title: "Session \(status)", body: body)
    }

    // MARK: - Shared parts

    static let style = """
        body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1b1b1b}
        h1{font-size:1.4rem}h2{font-size:1.1rem}
        .meta,.hint{color:#555;font-size:.9rem}
        .question{white-space:pre-wrap;font-size:1.15rem;border-left:4px solid #3a6ea5;padding:.3rem .8rem}
        .notice{background:#fff4ce;padding:.6rem .8rem;border-radius:4px}
        .errors,.error{color:#a40000}
        dt{font-weight:600}dd{margin:0 0 .5rem 1rem;white-space:pre-wrap}
        label{font-weight:600;display:block;margin-top:1rem}
        input[type=text],input[type=number],select,textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}
        textarea{min-height:5rem;font-family:ui-monospace,monospace}
        .actions{margin-top:1.5rem}
        fieldset{margin-top:1.5rem;border:1px solid #ccc;border-radius:4px}
        button{font:inherit;padding:.4rem 1rem;margin-top:.5rem}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}
        """

    /// A complete document around `body` (already HTML); `title` is escaped here.
    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    /// Text made safe for element content and quoted attribute values alike.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// An expiry as a `<time>` element, to the second in UTC; `never` when the session has none.
    static func expiry(_ time: Timestamp?) -> String {
        guard let time else { return "never" }
        let text = time.rfc3339
        return "<time datetime=\"\(escape(text))\">\(escape("\(text.prefix(10)) \(text.dropFirst(11).prefix(8)) UTC"))</time>"
    }

    /// The first line of a question, cut at 140 characters, for one row of the list.
    static func summary(_ text: String) -> String {
        guard let line = text.split(whereSeparator: \.isNewline).first.map(String.init) else { return "(no question text)" }
        return line.count > 140 ? String(line.prefix(139)) + "…" : line
    }
}
