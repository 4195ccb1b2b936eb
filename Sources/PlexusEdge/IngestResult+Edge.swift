import PlexusAPI
import PlexusCore

extension Result where Success == IngestReceipt, Failure == PlexusError {
    /// The log could not take the item (it is fine; retry it). Anything else that failed is the
    /// item's own fault and is dead-lettered or answered with the error.
    var isUnavailable: Bool {
        if case .failure(let error) = self { return error.code == .unavailable }
        return false
    }
}
