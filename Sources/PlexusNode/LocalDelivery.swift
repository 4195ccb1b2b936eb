import NIOCore
import PlexusAPI
import PlexusCore
import PlexusEdge

/// Hands a message to everyone on this node who should see it: live-stream clients and the
/// inboxes of attached subjects it is addressed to.
struct LocalDelivery: Sendable {
    let hub: StreamHub
    let inboxes: SubjectInboxes
    let pushes: PushSubscriptions
    /// Wakes the edges' egress: a message delivered here is published to the local NATS/Redis.
    let logSignal: LogSignal

    /// - Parameter json: the envelope's wire JSON as logged (`LogRecord.json`): the frame is
    ///   made from those bytes rather than by serialising the envelope once more.
    /// - Parameter stream: false at the origin, whose ingest already showed the message to
    ///   live-stream clients and push subscriptions.
    /// - Parameter homedHere: recipients homed at this node: their inboxes are opened if no
    ///   session has done it yet (after a restart), so the next session finds the message.
    func deliver(_ envelope: Envelope, json: [UInt8], stream: Bool, homedHere: [String]) {
        let frame = ByteBuffer(bytes: json)
        if stream {
            hub.publish([envelope], frames: [frame])
            pushes.offer([envelope], frames: [frame])
        }
        logSignal.poke()
        inboxes.deliver(envelope.messageID, to: envelope.destinationSubjectIDs, frame: frame, opening: homedHere)
    }
}
