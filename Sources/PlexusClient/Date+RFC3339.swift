import Foundation
import PlexusCore

extension Date {
    /// Dates in session documents are RFC 3339 text; PlexusCore's parser reads them exactly.
    init?(rfc3339 text: String) {
        guard let time = Timestamp(rfc3339: text) else { return nil }
        self.init(timeIntervalSince1970: time.seconds)
    }
}
