import CHiredis

/// Build-level facts about Redis support, for `plexus dev` and health reports.
public enum RedisClient {
    /// False when this binary was built without libhiredis-dev; every connect then fails with
    /// `.hiredisMissing`, and the rest of plexus works as usual.
    public static var isAvailable: Bool { plexus_hiredis_available() != 0 }

    /// "0.14.1", or nil without hiredis.
    public static var hiredisVersion: String? {
        let version = Int(plexus_hiredis_version())
        guard version > 0 else { return nil }
        return "\(version / 10000).\(version / 100 % 100).\(version % 100)"
    }

    /// Throws `.hiredisMissing` with the install hint when this build has no Redis support.
    public static func requireAvailable() throws(RedisError) {
        guard isAvailable else { throw .hiredisMissing() }
    }
}
