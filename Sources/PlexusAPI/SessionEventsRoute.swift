import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import PlexusCore
import PlexusSessions

/// `WS /v1/sessions/{id}/events`: the session document now and after every change, one text
/// frame each; the server closes (1000) after sending a final status. This is the push channel
/// `PlexusClient.sendAndWaitForResponse` waits on: no polling, and an expiry arrives as
/// `"status": "expired"`, never as an answer.
enum SessionEventsRoute {
    static func add(to router: Router<BasicWebSocketRequestContext>, sessions: SessionService) {
        router.ws("/v1/sessions/:id/events") { inbound, outbound, context in
            // Decoded like the HTTP routes' path parameters.
            let raw = context.requestContext.parameters.get("id") ?? ""
            let id = raw.removingPercentEncoding ?? raw
            // Watch before reading, so no change between the read and the watch is missed.
            let changes = sessions.watchers.watch(id)
            let current: HumanSession
            do throws(PlexusError) {
                current = try await sessions.session(id)
            } catch {
                try await SubjectSessionRoute.refuse(error, outbound)
                return
            }
            try await outbound.write(.text(current.json.jsonString))
            if current.status.isFinal {
                try await outbound.close(.normalClosure, reason: current.status.rawValue)
                return
            }
            let start = current.version
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Reading keeps the connection's control frames flowing; a client close ends it.
                    for try await _ in inbound {}
                }
                group.addTask {
                    var version = start
                    for await session in changes where session.version > version {
                        version = session.version
                        try await outbound.write(.text(session.json.jsonString))
                        if session.status.isFinal {
                            try await outbound.close(.normalClosure, reason: session.status.rawValue)
                            return
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
