// `YAMLMapping` and `ConfigurationError` moved to PlexusYAML so the simulator's file loaders can
// share them without depending on the node shell; re-exported so `import PlexusNode` still sees them.
@_exported import PlexusYAML
@_exported import PlexusEdge
