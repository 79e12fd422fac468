// CacheBodyFile+FileRegion: a memory-file body as NIO's FileRegion, so the socket's write is a sendfile.
import GatehouseCore
import NIOCore

extension CacheBodyFile {
    /// A region over the whole body for one response's write. NIO lets one `NIOFileHandle` be
    /// used by one thread at a time (a second use throws EBUSY), and a hot entry is sent by every
    /// event loop at once, so each write gets a handle of its own over the shared descriptor;
    /// `written(_:)` takes the descriptor back from it, so only this file ever closes it.
    func makeRegion() -> FileRegion {
        FileRegion(fileHandle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor), readerIndex: 0, endIndex: count)
    }

    /// The write of `region` (from `makeRegion`) ended, sent or failed.
    func written(_ region: FileRegion) {
        _ = try? region.fileHandle.takeDescriptorOwnership()
    }
}
