/// Typed helpers for the commands the edge bridges use. Error replies become
/// ``RedisError/Code/serverError(_:)``; an unexpected reply shape is `.protocolError`.
extension RedisConnection {
    /// Throws unless the server answers PONG.
    public func ping() async throws {
        let reply = try await command(["PING"])
        guard case .status("PONG") = reply else { throw unexpected(reply, from: "PING") }
    }

    /// Appends to the tail; returns the list's new length.
    @discardableResult
    public func rpush(_ key: String, _ values: [[UInt8]]) async throws -> Int {
        try await integer(["RPUSH", RedisArgument(key)] + values.map(RedisArgument.init), name: "RPUSH")
    }

    /// Prepends to the head (the last value ends up first); returns the list's new length.
    @discardableResult
    public func lpush(_ key: String, _ values: [[UInt8]]) async throws -> Int {
        try await integer(["LPUSH", RedisArgument(key)] + values.map(RedisArgument.init), name: "LPUSH")
    }

    public func llen(_ key: String) async throws -> Int {
        try await integer(["LLEN", RedisArgument(key)], name: "LLEN")
    }

    /// Elements `start...stop` (inclusive, negative counts from the end); the whole list by default.
    public func lrange(_ key: String, start: Int = 0, stop: Int = -1) async throws -> [[UInt8]] {
        let reply = try await command(["LRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop)])
        if case .error(let message) = reply { throw serverError(message, from: "LRANGE") }
        guard case .array(let elements) = reply else { throw unexpected(reply, from: "LRANGE") }
        return try elements.map { element in
            guard case .bulk(let bytes) = element else { throw unexpected(element, from: "LRANGE") }
            return bytes
        }
    }

    /// Removes up to `count` elements equal to `value` (0 = all, negative = from the tail);
    /// returns how many were removed.
    @discardableResult
    public func lrem(_ key: String, count: Int, value: [UInt8]) async throws -> Int {
        try await integer(["LREM", RedisArgument(key), RedisArgument(count), RedisArgument(value)], name: "LREM")
    }

    /// Returns how many subscribers received the message.
    @discardableResult
    public func publish(channel: String, payload: [UInt8]) async throws -> Int {
        try await integer(["PUBLISH", RedisArgument(channel), RedisArgument(payload)], name: "PUBLISH")
    }

    /// Atomically moves the tail of `source` to the head of `destination`, waiting up to `timeout`
    /// for `source` to have one; returns the moved element, or nil when the wait ran out.
    ///
    /// This is the reliable-queue pattern: the element stays in `destination` (a processing
    /// list) until the caller LREMs it, so a crash in between loses nothing. Uses
    /// `BLMOVE source destination RIGHT LEFT timeout`, and `BRPOPLPUSH` (same semantics) once a
    /// server older than 6.2 has said it does not know BLMOVE. `timeout` is at least 1 ms: a zero
    /// timeout would block forever and trip the socket timeout.
    public func blmove(source: String, destination: String, timeout: Duration) async throws -> [UInt8]? {
        let wait = max(timeout, .milliseconds(1))
        let seconds = Self.decimalSeconds(wait)
        if !prefersBRPOPLPUSH {
            let reply = try await blockingCommand(
                ["BLMOVE", RedisArgument(source), RedisArgument(destination), "RIGHT", "LEFT", RedisArgument(seconds)],
                blockFor: wait
            )
            if case .error(let message) = reply, message.lowercased().hasPrefix("err unknown command") {
                prefersBRPOPLPUSH = true
            } else {
                return try moved(reply, from: "BLMOVE")
            }
        }
        let reply = try await blockingCommand(
            ["BRPOPLPUSH", RedisArgument(source), RedisArgument(destination), RedisArgument(seconds)],
            blockFor: wait
        )
        return try moved(reply, from: "BRPOPLPUSH")
    }

    private func moved(_ reply: RedisReply, from name: String) throws -> [UInt8]? {
        switch reply {
        case .bulk(let bytes): return bytes
        case .null: return nil
        case .error(let message): throw serverError(message, from: name)
        default: throw unexpected(reply, from: name)
        }
    }

    private func integer(_ arguments: [RedisArgument], name: String) async throws -> Int {
        let reply = try await command(arguments)
        switch reply {
        case .integer(let value): return Int(value)
        case .error(let message): throw serverError(message, from: name)
        default: throw unexpected(reply, from: name)
        }
    }

    private func serverError(_ message: String, from name: String) -> RedisError {
        RedisError(.serverError(message), endpoint: configuration.endpoint, detail: "\(name) failed: \(message)")
    }

    private func unexpected(_ reply: RedisReply, from name: String) -> RedisError {
        if case .error(let message) = reply { return serverError(message, from: name) }
        return RedisError(.protocolError, endpoint: configuration.endpoint, detail: "\(name) returned an unexpected \(reply)")
    }

    /// Redis takes blocking timeouts as decimal seconds ("1.5") since 6.0.
    static func decimalSeconds(_ duration: Duration) -> String {
        let milliseconds = RedisBackoff.nanoseconds(duration) / 1_000_000
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
