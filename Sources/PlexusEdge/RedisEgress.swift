import PlexusRedis
import PlexusStore

/// Puts delivered messages where the rules say: `RPUSH` to lists, `PUBLISH` on channels, one
/// pipelined round trip per batch from the log follower. A failure throws, so the follower
/// offers the same batch again: at least once (a batch that failed midway may push some of its
/// messages twice).
struct RedisEgress: Sendable {
    let rules: [RedisEgressRule]
    let connection: RedisConnection
    let monitor: EdgeMonitor

    func publish(_ batch: [StoredMessage]) async throws {
        var commands: [[RedisArgument]] = []
        var published = 0
        for message in batch {
            var matched = false
            for rule in rules where rule.matches(message.topic) {
                matched = true
                if let list = rule.list {
                    commands.append(["RPUSH", RedisArgument(list.name(topic: message.topic)), RedisArgument(message.json)])
                }
                if let channel = rule.channel {
                    commands.append(["PUBLISH", RedisArgument(channel.name(topic: message.topic)), RedisArgument(message.json)])
                }
            }
            if matched { published += 1 }
        }
        guard !commands.isEmpty else { return }
        let replies = try await connection.pipeline(commands)
        if let (command, reply) = zip(commands, replies).first(where: { $0.1.errorMessage != nil }) {
            let name = String(decoding: command[0].bytes, as: UTF8.self)
            let key = String(decoding: command[1].bytes, as: UTF8.self)
            throw EdgeError(.server, "Redis refused \(name) \(key): \(reply.errorMessage ?? "")")
        }
        monitor.update { $0.published += published }
    }
}
