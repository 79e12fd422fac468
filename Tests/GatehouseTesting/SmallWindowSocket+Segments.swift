// SmallWindowSocket+Segments: how many TCP data segments the socket has received, to test how responses are packetised.
#if canImport(Glibc)
import Glibc
#endif

extension SmallWindowSocket {
    /// The kernel's count of data-carrying segments received so far (`tcpi_data_segs_in`,
    /// Linux 4.6+); nil where it is not available. Glibc's `struct tcp_info` stops before the
    /// field, so it is read at its offset in the kernel's (append-only) struct.
    public func dataSegmentsReceived() -> UInt32? {
        let offset = 152
        var info = [UInt8](repeating: 0, count: 232)
        var length = socklen_t(info.count)
        let status = info.withUnsafeMutableBytes { getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, $0.baseAddress, &length) }
        guard status == 0, Int(length) >= offset + 4 else { return nil }
        return info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }
}
