import PlexusStore
import PostgresNIO

/// Sorting PostgreSQL failures into what the store does about them.
enum PostgresErrors {
    enum Kind: Sendable, Equatable {
        /// The server cannot be reached or went away: reconnect, spool meanwhile.
        case unreachable
        /// A value the server refuses (SQLSTATE class 22, data exception; 54, limits): the batch is
        /// retried message by message and the refused one dead-lettered with the reason.
        case data(String)
        /// Anything else (a bug, permissions, a full disk): the batch's callers learn it failed.
        case other
    }

    static func kind(of error: any Error) -> Kind {
        guard let error = error as? PSQLError else {
            return error is StoreError ? .other : .unreachable
        }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("22") || state.hasPrefix("54") {
                return .data(error.serverInfo?[.message] ?? "refused by PostgreSQL (SQLSTATE \(state))")
            }
            // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now.
            if state.hasPrefix("08") || state.hasPrefix("57P") { return .unreachable }
            return .other
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
             .messageDecodingFailure, .unexpectedBackendMessage:
            return .unreachable
        default:
            return .other
        }
    }

    /// One line for logs and StoreErrors: the server's SQLSTATE and message when there is one
    /// (postgres-nio's description hides them to keep secrets out of logs by default).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? ""
            let detail = info[.detail].map { " (\($0))" } ?? ""
            return "PostgreSQL \(state): \(message)\(detail)"
        }
        return "PostgreSQL connection: \(error.code)"
    }
}

/// The connection closed under the store (the server went away). Classified `.unreachable`.
struct PostgresConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL is closed" }

    static func check(_ connection: PostgresConnection) throws {
        if connection.isClosed { throw PostgresConnectionLost() }
    }
}

/// A COMMIT the pipelined writer had in flight failed: handled like a lost connection (its batch
/// is spooled, the writer reconnects), since the transaction's fate is all the writer knows.
struct PostgresCommitFailed: Error, CustomStringConvertible {
    var reason: String
    var description: String { "COMMIT failed: \(reason)" }
}
