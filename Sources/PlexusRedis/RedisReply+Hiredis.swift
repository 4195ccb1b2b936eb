import CHiredis

extension RedisReply {
    /// Copies a hiredis reply (recursively) into Swift values; the caller still frees it.
    /// Nil for a reply type hiredis 0.14 does not produce.
    init?(hiredisReply reply: UnsafeRawPointer) {
        switch plexus_redis_reply_type(reply) {
        case PLEXUS_REDIS_REPLY_STRING:
            self = .bulk(Self.copyBytes(reply))
        case PLEXUS_REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.copyBytes(reply), as: UTF8.self))
        case PLEXUS_REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.copyBytes(reply), as: UTF8.self))
        case PLEXUS_REDIS_REPLY_INTEGER:
            self = .integer(Int64(plexus_redis_reply_integer(reply)))
        case PLEXUS_REDIS_REPLY_NIL:
            self = .null
        case PLEXUS_REDIS_REPLY_ARRAY:
            let count = plexus_redis_reply_elements(reply)
            var elements: [RedisReply] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let element = plexus_redis_reply_element(reply, index),
                      let converted = RedisReply(hiredisReply: element) else { return nil }
                elements.append(converted)
            }
            self = .array(elements)
        default:
            return nil
        }
    }

    private static func copyBytes(_ reply: UnsafeRawPointer) -> [UInt8] {
        let length = plexus_redis_reply_len(reply)
        guard length > 0, let start = plexus_redis_reply_str(reply) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
    }
}
