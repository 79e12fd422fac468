// Finds a TCP port on 127.0.0.1 that is free right now, for tests that start external processes.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why ``freeTCPPort()`` failed: the failing system call and its errno.
public struct FreeTCPPortError: Error, Sendable {
    /// The system call that failed.
    public var call: String
    /// The errno it set.
    public var errno: Int32
}

/// A TCP port on 127.0.0.1 that was free when asked (bind port 0, read it, close).
///
/// Another process can take it before the test uses it; prefer binding port 0 in-process
/// (``TestUpstreamServer`` does) and use this only to hand a port to a child process.
public func freeTCPPort() throws -> Int {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw FreeTCPPortError(call: "socket", errno: errno) }
    defer { close(descriptor) }

    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { throw FreeTCPPortError(call: "bind", errno: errno) }

    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(descriptor, $0, &length)
        }
    }
    guard named == 0 else { throw FreeTCPPortError(call: "getsockname", errno: errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}
