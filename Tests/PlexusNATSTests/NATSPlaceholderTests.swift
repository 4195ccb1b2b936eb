import Testing
@testable import PlexusNATS
