extension JSONValue {
    /// The compact JSON encoding, as bytes ready for a socket or a database column.
    public func serialized() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        JSONWriter.write(self, into: &buffer)
        return buffer
    }

    /// The compact JSON encoding as text, for logs at debug level, tests and the command line.
    public var jsonString: String {
        String(decoding: serialized(), as: UTF8.self)
    }
}
