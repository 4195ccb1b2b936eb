import NIOPosix
import PlexusCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system resolver (`getaddrinfo`: /etc/hosts, then DNS), run on NIO's blocking-I/O thread
/// pool because the call blocks.
public struct WebhookSystemResolver: WebhookHostResolver {
    let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    public func resolve(host: String) async throws -> [OutboundAddress] {
        try await threadPool.runIfActive { try Self.getaddrinfoBlocking(host) }
    }

    static func getaddrinfoBlocking(_ host: String) throws -> [OutboundAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            throw WebhookSendError(.resolve, "cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(first) }
        var addresses: [OutboundAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sockaddr = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin_addr
                        let bytes = withUnsafeBytes(of: &address) { Array($0) }
                        if let parsed = OutboundAddress(bytes: bytes) { addresses.append(parsed) }
                    }
                case AF_INET6:
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin6_addr
                        let bytes = withUnsafeBytes(of: &address) { Array($0) }
                        if let parsed = OutboundAddress(bytes: bytes) { addresses.append(parsed) }
                    }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        // getaddrinfo lists an address once per socket type unless hinted; keep the first of each.
        var seen = Set<OutboundAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}
