// SystemAddressResolver: the machine's resolver (getaddrinfo), every address of the preferred family.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Resolves with getaddrinfo, as `SocketAddress.makeAddressResolvingHost` does, but keeps every
/// address rather than the first: a load balancer's name has several. Only those of the first
/// address's family are kept (getaddrinfo orders them by RFC 6724 preference), as Envoy's
/// default lookup family does: "localhost" giving ::1 and 127.0.0.1 must not send half the
/// connections to a family the origin may not listen on.
public struct SystemAddressResolver: UpstreamAddressResolver {
    public init() {}

    public func addresses(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        // One entry per address, not one per socket type.
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0 else {
            throw UpstreamResolveError(host: host, reason: String(cString: gai_strerror(code)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = Self.socketAddress(info, host: host),
                  addresses.first.map({ $0.protocol == address.protocol }) ?? true,
                  !addresses.contains(address)
            else { continue }
            addresses.append(address)
        }
        guard !addresses.isEmpty else {
            throw UpstreamResolveError(host: host, reason: "no IPv4 or IPv6 address")
        }
        return addresses
    }

    private static func socketAddress(_ info: addrinfo, host: String) -> SocketAddress? {
        guard let raw = info.ai_addr.map(UnsafeRawPointer.init) else { return nil }
        switch info.ai_family {
        case AF_INET:
            return SocketAddress(raw.load(as: sockaddr_in.self), host: host)
        case AF_INET6:
            return SocketAddress(raw.load(as: sockaddr_in6.self), host: host)
        default:
            return nil
        }
    }
}
