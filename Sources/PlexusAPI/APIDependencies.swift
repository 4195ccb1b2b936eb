import Foundation
import PlexusCore
import PlexusSessions
import PlexusStore

/// What the API needs from the node: the ingest path, the log, the live-stream hub and the limits.
public struct APIDependencies: Sendable {
    public var node: String
    public var ingestor: any MessageIngestor
    public var store: any MessageStore
    public var hub: StreamHub
    public var limits: IngestLimits
    /// Most messages a WebSocket ingest connection may have waiting for their commit at once.
    public var webSocketIngestWindow: Int
    /// The mesh, for the registry routes; `nil` serves none of them (tests of the log alone).
    public var mesh: (any MeshAccess)?
    /// Inboxes of subjects attached to this node by a session.
    public var inboxes: SubjectInboxes
    /// HTTP push subscriptions; nil serves none of their routes.
    public var pushes: PushSubscriptions?
    /// The mesh-wide configuration store (templates, policies, limits, ACLs, webhooks and the
    /// original config routes); nil serves none of its routes.
    public var config: ConfigStore?
    /// Webhook delivery logs for `GET /v1/webhooks/{id}/deliveries` (nil for an endpoint never
    /// configured); nil serves none.
    public var webhookDeliveries: (@Sendable (String, Int) async throws -> JSONValue?)?
    /// Human-in-the-loop sessions, their channels' sender and the web inbox; nil serves none of
    /// their routes.
    public var sessions: SessionService?
    public var channelSender: (any ChannelSender)?
    /// The wall clock, for checks that need one in a route (Slack's signature window).
    public var clock: @Sendable () -> Timestamp = { Timestamp(seconds: Date().timeIntervalSince1970) }
    /// The edges' health (Redis, NATS) for `GET /healthz`, one object each.
    public var edgeHealth: @Sendable () -> [JSONValue] = { [] }
    /// The log's health for `GET /healthz`: its kind, and for PostgreSQL whether the database is
    /// reachable and what the local spool holds. `degraded: true` turns the status to "degraded".
    public var storeHealth: @Sendable () -> JSONObject = { ["kind": "sqlite", "degraded": false] }

    public init(
        node: String,
        ingestor: any MessageIngestor,
        store: any MessageStore,
        hub: StreamHub,
        limits: IngestLimits,
        webSocketIngestWindow: Int = 256,
        mesh: (any MeshAccess)? = nil,
        inboxes: SubjectInboxes = SubjectInboxes(),
        pushes: PushSubscriptions? = nil
    ) {
        self.pushes = pushes
        self.inboxes = inboxes
        self.mesh = mesh
        self.node = node
        self.ingestor = ingestor
        self.store = store
        self.hub = hub
        self.limits = limits
        self.webSocketIngestWindow = webSocketIngestWindow
    }
}
