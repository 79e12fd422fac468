// CacheBodyFile+FileRegion: a memory-file body as NIO's FileRegion, so the socket's write is a sendfile.
import GatehouseCore
import NIOCore

extension CacheBodyFile {
    /// A region over `bytes` of the body (all of it, or a 206's part) for one response's write.
    /// NIO lets one `NIOFileHandle` be used by one thread at a time (a second use throws EBUSY),
    /// and a hot entry is sent by every event loop at once, so each write gets a handle of its own
    /// over the shared descriptor; `written(_:)` takes the descriptor back from it, so only this
    /// file ever closes it.
    func makeRegion(_ bytes: Range<Int>) -> FileRegion {
        FileRegion(
            fileHandle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor),
            readerIndex: bytes.lowerBound, endIndex: bytes.upperBound
        )
    }

    /// The write of `region` (from `makeRegion`) ended, sent or failed.
    func written(_ region: FileRegion) {
        _ = try? region.fileHandle.takeDescriptorOwnership()
    }
}
