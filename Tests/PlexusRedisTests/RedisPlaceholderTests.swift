import Testing
@testable import PlexusRedis
