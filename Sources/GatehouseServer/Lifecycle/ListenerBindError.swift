// ListenerBindError: a listener of the config could not be bound, named by its key and address.
import GatehouseCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Thrown by `ProxyServer.start` when `server.listen` or `server.admin_listen` cannot be bound
/// (the port taken, an address not on this machine, a port below 1024 without the privilege), so
/// that `gatehouse run` can report it as the config problem it is, at the key's line. NIO's own
/// error named neither the listener nor the address.
public struct ListenerBindError: Error, CustomStringConvertible {
    /// `server.listen` or `server.admin_listen`.
    public let key: String
    public let address: ListenAddress
    /// The system's reason ("Address already in use").
    public let reason: String

    init(key: String, address: ListenAddress, error: any Error) {
        self.key = key
        self.address = address
        if let io = error as? IOError {
            reason = String(cString: strerror(io.errnoCode))
        } else {
            reason = String(describing: error)
        }
    }

    /// The message of its config issue, without the key.
    public var message: String {
        "cannot listen on \(address): \(reason)"
    }

    public var description: String {
        "\(key): \(message)"
    }
}
