import SQLiteNIO

extension StoreError {
    /// Maps whatever an SQLite call threw to a `StoreError`, saying what the store was doing.
    /// A damaged file is `.corrupt` (an operator must act); everything else is `.ioFailure`
    /// (usually transient: a full disk, a lock held too long).
    init(sqlite error: any Error, while doing: String) {
        if let error = error as? StoreError {
            self = error
            return
        }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .corrupt, .notADatabase, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable:
                self.init(.corrupt, "\(doing): \(error.message)")
            default:
                self.init(.ioFailure, "\(doing): \(error.reason): \(error.message)")
            }
            return
        }
        self.init(.ioFailure, "\(doing): \(error)")
    }
}
