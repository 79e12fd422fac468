// IPAddress+SocketAddress: the address of a NIO socket peer, without formatting it as text first.

import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension IPAddress {
    /// The IP address of an IPv4 or IPv6 socket address (an IPv4-mapped IPv6 peer becomes IPv4);
    /// nil for a Unix domain socket.
    public init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            var raw = address.address.sin_addr
            guard let parsed = withUnsafeBytes(of: &raw, { IPAddress(bytes: $0) }) else { return nil }
            self = parsed
        case .v6(let address):
            var raw = address.address.sin6_addr
            guard let parsed = withUnsafeBytes(of: &raw, { IPAddress(bytes: $0) }) else { return nil }
            self = parsed
        case .unixDomainSocket:
            return nil
        }
    }
}
