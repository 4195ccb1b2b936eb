import Foundation
import PlexusCore

/// When a session stops waiting for a person. The node expires it itself (and the waiting client
/// gets `expired`, never an answer), so an unanswered question does not hang forever.
public enum SessionExpiry: Sendable, Hashable {
    /// Relative to when the node creates the session (`expires_in`): immune to clock skew
    /// between client and node.
    case after(Duration)
    /// An absolute time (`expiry_date`, epoch seconds).
    case at(Date)

    /// The body field and value the node reads.
    var field: (name: String, value: JSONValue) {
        switch self {
        case .after(let duration): ("expires_in", Self.seconds(duration.seconds))
        case .at(let date): ("expiry_date", Self.seconds(date.timeIntervalSince1970))
        }
    }

    /// Whole seconds as an integer (what the original API sent), otherwise a fraction.
    static func seconds(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15 ? .integer(Int64(value)) : .double(value)
    }
}
