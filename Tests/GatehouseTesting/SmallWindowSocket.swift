// SmallWindowSocket: a blocking test client with a tiny receive window, for responses the server must hold while nobody reads.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client on a plain blocking socket with a 4 KiB receive buffer: a large response stays
/// pending in the server's write until the test reads it (or never does).
public final class SmallWindowSocket: @unchecked Sendable {
    let fd: Int32

    /// Connected to 127.0.0.1:`port`, with a receive buffer of `receiveBuffer` bytes (nil: the
    /// kernel's default, for tests of how responses are segmented rather than held).
    public init(port: Int, receiveBuffer: Int32? = 4096) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var small = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        }
        // A server that stops sending fails the read within 30 s instead of hanging the test run.
        var patience = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Writes `request` whole (it fits the socket's buffer).
    public func send(_ request: String) {
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
    }

    /// The response head (as text) and its `Content-Length` body, read on a thread of its own
    /// (blocking reads stay off the test's executor); what arrived if the connection ends first
    /// or nothing arrives for 30 s. Bytes past the body (a pipelined response's) stay for the next read.
    /// With `chunk` and `pause`, a slow client: at most `chunk` bytes per read, `pause` after
    /// each (the pause paces the reader's thread; it synchronises nothing).
    public func readResponse(chunk: Int = 65_536, pause: Duration = .zero) async -> (head: String, body: [UInt8]) {
        await onReaderThread { reader in
            guard let head = reader.readHead(chunkSize: chunk, pause: pause) else {
                return (String(decoding: reader.takeCarried(), as: UTF8.self), [])
            }
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            return (head, reader.readBytes(length, chunkSize: chunk, pause: pause))
        }
    }

    /// A response head alone (as text); its body stays to be read, e.g. by `readBytes(_:)`.
    /// nil if the connection ends (or nothing arrives for 30 s) first.
    public func readHead() async -> String? {
        await onReaderThread { $0.readHead(chunkSize: 65_536, pause: .zero) }
    }

    /// The next `count` bytes, or fewer if the connection ends (or nothing arrives for 30 s) first.
    public func readBytes(_ count: Int) async -> [UInt8] {
        await onReaderThread { $0.readBytes(count, chunkSize: 65_536, pause: .zero) }
    }

    private func onReaderThread<T: Sendable>(_ read: @escaping @Sendable (SmallWindowSocket) -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(returning: read(self))
            }
            thread.start()
        }
    }

    /// Bytes received past what the last read returned (reads run one at a time, each on its thread).
    private var carried: [UInt8] = []

    private func takeCarried() -> [UInt8] {
        defer { carried = [] }
        return carried
    }

    /// Receives once into `carried`; false when the connection ended or the read timed out.
    private func receive(chunkSize: Int, pause: Duration) -> Bool {
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        carried.append(contentsOf: chunk[0..<count])
        if pause > .zero {
            Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
        }
        return true
    }

    private func readHead(chunkSize: Int, pause: Duration) -> String? {
        while true {
            if let end = Self.endOfHead(carried) {
                let head = String(decoding: carried[0..<end], as: UTF8.self)
                carried.removeFirst(end)
                return head
            }
            guard receive(chunkSize: chunkSize, pause: pause) else { return nil }
        }
    }

    private func readBytes(_ count: Int, chunkSize: Int, pause: Duration) -> [UInt8] {
        while carried.count < count, receive(chunkSize: chunkSize, pause: pause) {}
        let taken = Array(carried.prefix(count))
        carried.removeFirst(taken.count)
        return taken
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    public func close() {
        Glibc.close(fd)
    }
}
