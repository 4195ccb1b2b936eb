import PlexusCore

/// Checks a channel before the configuration store takes it: the record's fields and its
/// kind's settings (`ChannelRecord`), its URL against the address guard (RELIABILITY S4, checked
/// again at every send), and a webhook channel's signing secret, generated when none is given
/// and kept across updates that do not name one.
enum ChannelSettings {
    static func prepare(_ key: ConfigKey, _ value: JSONValue, _ current: ConfigItem?, guard addressGuard: AddressGuard) throws(PlexusError) -> JSONValue {
        var record = try ChannelRecord(id: key.name, value)
        // A document read back (secrets hidden) and saved again keeps the stored secrets.
        for field in record.kind.secretFields where record.metadata[field]?.stringValue == ChannelRecord.hidden {
            guard let kept = current?.value?["channel_metadata"]?[field] else {
                throw PlexusError(.invalidField, "channel_metadata.\(field) is the hidden placeholder; give the value", pointer: "/channel_metadata/\(field)")
            }
            record.metadata[field] = kept
        }
        if let url = record.url {
            do {
                _ = try addressGuard.check(url: url)
            } catch {
                throw PlexusError(.invalidField, "the channel's URL is refused: \(error.message)", pointer: "/channel_metadata")
            }
        }
        if record.kind == .email {
            let host = try record.string("smtp_host")
            let port = record.metadata["smtp_port"]?.integerValue ?? 25
            do {
                _ = try addressGuard.check(url: "http://\(host):\(port)/")
            } catch {
                throw PlexusError(.invalidField, "smtp_host is refused: \(error.message)", pointer: "/channel_metadata/smtp_host")
            }
        }
        if record.kind == .webhook {
            if let given = record.metadata["secret"] {
                guard let text = given.stringValue else {
                    throw PlexusError(.invalidField, "channel_metadata.secret must be a whsec_ string", pointer: "/channel_metadata/secret")
                }
                do { _ = try WebhookSecret(parsing: text) } catch { throw PlexusError(.invalidField, error.message, pointer: "/channel_metadata/secret") }
            } else if let kept = current?.value?["channel_metadata"]?["secret"] {
                record.metadata["secret"] = kept
            } else {
                var rng = SystemRandomNumberGenerator()
                record.metadata["secret"] = .string(WebhookSecret.generate(using: &rng).encoded)
            }
        }
        return record.json
    }
}
