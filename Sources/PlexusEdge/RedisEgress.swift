import PlexusRedis
import PlexusStore

/// Puts delivered messages where the rules say: `RPUSH` to lists, `PUBLISH` on channels, one
/// pipelined round trip per batch from the log follower. A lost connection throws, so the
/// follower offers the same batch again: at least once (a batch cut off midway may push some of
/// its messages twice).
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
        // A lost connection throws here: the follower offers the batch again. An error reply
        // (WRONGTYPE on a key that is not a list, NOPERM) fails the same way every time, so it
        // is counted and skipped rather than retried, which would stall the egress and push the
        // rest of the batch again and again.
        let replies = try await connection.pipeline(commands)
        for (command, reply) in zip(commands, replies) {
            guard let message = reply.errorMessage else { continue }
            let name = String(decoding: command[0].bytes, as: UTF8.self)
            let key = String(decoding: command[1].bytes, as: UTF8.self)
            monitor.failed(EdgeError(.server, "Redis refused \(name) \(key): \(message)"))
        }
        monitor.update { $0.published += published }
    }
}
