/// The sections of the mesh-wide configuration store. The raw value names the section in URLs,
/// in registry ids (`<section>/<name>`) and in the history file.
public enum ConfigSection: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Per-topic message templates (`/v1/topics/{topic}/template`); the name is the topic.
    case templates
    /// Policy expressions (`/v1/policies/{name}`).
    case policies
    /// Rate and size limits (`/v1/limits/{name}`).
    case limits
    /// Who may publish to which topics and send to which subjects (`/v1/acls/{name}`).
    case acls
    /// Webhook endpoints notified of validation and policy events (`/v1/webhooks/{id}`).
    case webhooks
    /// Human-in-the-loop channels (`/channel`, `/v1/channels/{id}`); the name is the channel id.
    case channels
    /// The original system's subject topic groups (`/topics_data`); the name is the subject id.
    case topicsData = "topics_data"
    /// The original system's topic-scoped settings; the name is `<topic_id>/<config_name>`.
    case messagingConfig = "messaging_config"
    /// The original system's global settings; the name is the setting's name.
    case globalConfig = "global_config"

    public static func < (a: ConfigSection, b: ConfigSection) -> Bool { a.rawValue < b.rawValue }

    /// The sections the constraint checker compiles; a change to any other only updates the store.
    public var constrains: Bool {
        switch self {
        case .templates, .policies, .limits, .acls: true
        default: false
        }
    }
}

/// One configuration item's identity.
public struct ConfigKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var section: ConfigSection
    public var name: String

    /// Longest name accepted, in UTF-8 bytes (a topic is at most 256; messaging_config adds a name).
    public static let maxNameBytes = 512

    public init(_ section: ConfigSection, _ name: String) throws(PlexusError) {
        if name.isEmpty { throw PlexusError(.invalidField, "the \(section.rawValue) name is empty") }
        if name.utf8.count > Self.maxNameBytes {
            throw PlexusError(.invalidField, "the \(section.rawValue) name is longer than \(Self.maxNameBytes) bytes")
        }
        if name.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) {
            throw PlexusError(.invalidField, "the \(section.rawValue) name \"\(name)\" contains whitespace or a control character")
        }
        self.section = section
        self.name = name
    }

    /// The registry id: `<section>/<name>`.
    public init?(registryID: String) {
        guard let slash = registryID.firstIndex(of: "/"),
              let section = ConfigSection(rawValue: String(registryID[..<slash])),
              let key = try? ConfigKey(section, String(registryID[registryID.index(after: slash)...]))
        else { return nil }
        self = key
    }

    public var registryID: String { "\(section.rawValue)/\(name)" }
    public var description: String { registryID }

    public static func < (a: ConfigKey, b: ConfigKey) -> Bool { (a.section, a.name) < (b.section, b.name) }
}
