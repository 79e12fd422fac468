// Bytes a RawHTTPConnection has received, shared between its channel handler and its callers.
import NIOCore

/// Kept outside the channel pipeline on purpose: NIO removes handlers when a channel closes, and a
/// test must still be able to parse a response that arrived just before the close.
struct RawHTTPInbox {
    /// Every byte received, for ``RawHTTPConnection/receivedBytes``.
    var allBytes: [UInt8] = []
    /// Received bytes not yet returned as part of a response.
    var unparsed = ByteBuffer()
    /// The peer closed (or reset) the connection; no more bytes will come.
    var closed = false
    /// Completed when bytes arrive or the connection closes.
    var waiter: EventLoopPromise<Void>?

    /// Takes the waiter so the caller can complete it outside the lock.
    mutating func takeWaiter() -> EventLoopPromise<Void>? {
        defer { self.waiter = nil }
        return self.waiter
    }
}
