/// Why a node logged a message. Every node that relays or delivers a message logs it, with its
/// role: `origin` where it entered the mesh, `destination` where it reached a recipient, `relay`
/// where it only passed through.
public enum LogRole: String, Sendable, Hashable, CaseIterable {
    case origin, relay, destination
}
