import CHiredis

/// One blocking hiredis `redisContext`, owned by one thread (not Sendable on purpose).
///
/// Any I/O, timeout or protocol failure leaves hiredis' context unusable (a late reply could be
/// read as the answer to the next command), so callers drop the context when a call throws
/// anything but `.serverError`.
final class HiredisContext {
    private let raw: UnsafeMutableRawPointer
    let endpoint: String
    private var currentTimeout: Duration?

    private init(raw: UnsafeMutableRawPointer, endpoint: String) {
        self.raw = raw
        self.endpoint = endpoint
    }

    deinit { plexus_redis_free(raw) }

    /// Opens a TCP connection within `timeout`; no AUTH or SELECT yet.
    static func connect(host: String, port: Int, timeout: Duration, endpoint: String) throws(RedisError) -> HiredisContext {
        guard plexus_hiredis_available() != 0 else { throw .hiredisMissing(endpoint: endpoint) }
        guard let raw = plexus_redis_connect(host, Int32(port), Self.milliseconds(timeout)) else {
            throw RedisError(.connectFailed, endpoint: endpoint, detail: "hiredis could not allocate a context")
        }
        let context = HiredisContext(raw: raw, endpoint: endpoint)
        if plexus_redis_err(raw) != 0 {
            // Refused, unreachable, unresolvable and timed out all read well as hiredis' errstr.
            let reason = String(cString: plexus_redis_errstr(raw))
            throw RedisError(.connectFailed, endpoint: endpoint, detail: "connect failed: \(reason)")
        }
        // Keep-alive finds a silently vanished peer (NAT drop, pulled cable) on an idle link.
        _ = plexus_redis_enable_keepalive(raw)
        return context
    }

    /// Sets the socket read/write timeout, skipping the syscall when it is unchanged.
    func setTimeout(_ timeout: Duration) throws(RedisError) {
        guard currentTimeout != timeout else { return }
        guard plexus_redis_set_timeout(raw, Self.milliseconds(timeout)) == 0 else {
            throw failure(savedErrno: 0, doing: "setting the socket timeout")
        }
        currentTimeout = timeout
    }

    /// Sends one command and waits for its reply.
    func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisReply {
        var savedErrno: Int32 = 0
        let reply = Self.withArgv(arguments) { argc, argv, lengths in
            plexus_redis_command_argv(raw, argc, argv, lengths, &savedErrno)
        }
        guard let reply else { throw failure(savedErrno: savedErrno, doing: Self.name(arguments)) }
        defer { plexus_redis_free_reply(reply) }
        return try convert(reply, doing: Self.name(arguments))
    }

    /// Queues every command, then reads the replies in order: one write burst, no round trip
    /// per command.
    func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisReply] {
        for arguments in commands {
            let appended = Self.withArgv(arguments) { argc, argv, lengths in
                plexus_redis_append_command_argv(raw, argc, argv, lengths)
            }
            guard appended == 0 else { throw failure(savedErrno: 0, doing: "queueing \(Self.name(arguments))") }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for arguments in commands {
            var savedErrno: Int32 = 0
            var reply: UnsafeMutableRawPointer?
            guard plexus_redis_get_reply(raw, &reply, &savedErrno) == 0, let reply else {
                throw failure(savedErrno: savedErrno, doing: "\(Self.name(arguments)) (pipelined)")
            }
            defer { plexus_redis_free_reply(reply) }
            replies.append(try convert(reply, doing: Self.name(arguments)))
        }
        return replies
    }

    private func convert(_ reply: UnsafeMutableRawPointer, doing what: String) throws(RedisError) -> RedisReply {
        guard let converted = RedisReply(hiredisReply: UnsafeRawPointer(reply)) else {
            throw RedisError(.protocolError, endpoint: endpoint, detail: "\(what): reply of an unknown type")
        }
        return converted
    }

    private func failure(savedErrno: Int32, doing what: String) -> RedisError {
        let reason = String(cString: plexus_redis_errstr(raw))
        switch plexus_redis_failure(raw, savedErrno) {
        case PLEXUS_REDIS_FAIL_TIMEOUT:
            return RedisError(.timeout, endpoint: endpoint, detail: "\(what): no reply within \(Self.milliseconds(currentTimeout ?? .zero)) ms")
        case PLEXUS_REDIS_FAIL_PROTOCOL:
            return RedisError(.protocolError, endpoint: endpoint, detail: "\(what): \(reason)")
        default:
            return RedisError(.connectionLost, endpoint: endpoint, detail: "\(what): \(reason)")
        }
    }

    /// The command name for messages; never the arguments, which may be payloads or passwords.
    static func name(_ arguments: [RedisArgument]) -> String {
        guard let first = arguments.first else { return "(empty command)" }
        return String(decoding: first.bytes.prefix(32), as: UTF8.self).uppercased()
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(max(1, RedisBackoff.nanoseconds(duration) / 1_000_000))
    }

    /// Lays the arguments out in one buffer and hands hiredis pointers and lengths into it.
    private static func withArgv<R>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var flat: [UInt8] = []
        flat.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            flat.append(contentsOf: argument.bytes)
            lengths.append(argument.bytes.count)
        }
        flat.append(0)  // never an empty buffer, so the base address is never nil
        return flat.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(arguments.count)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(arguments.count), argv.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }
}
