/// Wording and length limits shared by the channel formatters, so Slack, Teams and email say the
/// same things the same way.
enum ChannelText {
    /// `2026-11-29 18:42:03 UTC`: whole seconds, readable in any mail client or card, and
    /// unambiguous without knowing the reader's time zone.
    static func readableUTC(_ time: Timestamp) -> String {
        let text = time.rfc3339
        guard text.utf8.count >= 19 else { return text }
        return text.prefix(10) + " " + text.dropFirst(11).prefix(8) + " UTC"
    }

    /// Whole unix seconds (floored), as Slack's date tokens and the session JSON count.
    static func unixSeconds(_ time: Timestamp) -> Int64 {
        time.microseconds.floorDivided(by: 1_000_000)
    }

    /// One line per refused rule, e.g. `/amount: 0 is less than minimum 1`; the root is `(reply)`.
    static func errorLines(_ errors: [MessageTemplateViolation]) -> [String] {
        errors.map { ($0.pointer.isEmpty ? "(reply)" : $0.pointer) + ": " + $0.message }
    }

    /// `text` with each character passed through `transform`, cut with `…` so that the result
    /// holds at most `limit` UTF-16 code units (how Slack and Teams count). Cuts fall between
    /// characters, never inside an escape that `transform` produced or inside a grapheme.
    static func limited(_ text: String, _ limit: Int, _ transform: (Character) -> String = { String($0) }) -> String {
        var pieces: [String] = []
        var total = 0
        for character in text {
            let piece = transform(character)
            pieces.append(piece)
            total += piece.utf16.count
        }
        if total <= limit { return pieces.joined() }
        var out = ""
        var length = 0
        let ellipsis = "…"
        for piece in pieces {
            let count = piece.utf16.count
            if length + count > limit - ellipsis.utf16.count { break }
            out += piece
            length += count
        }
        return out + ellipsis
    }

    /// A single line: line breaks, tabs and other control characters become spaces, runs of spaces
    /// collapse, ends are trimmed. For email subjects (a newline there would start a new header).
    static func singleLine(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.unicodeScalars.append(" ") }
            pendingSpace = false
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
