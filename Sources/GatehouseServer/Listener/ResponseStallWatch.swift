// ResponseStallWatch: closes a client that takes none of a relayed response for idle_timeout.
import NIOCore

/// While a relayed response waits on the client (reads from the origin are paused because the
/// client's socket is full), the origin's response timeout stands still, and this watch bounds
/// the client instead, as nginx's `send_timeout` does: each `interval` the client must have
/// taken some of what is queued for it, or its connection is closed. One timer while a stall
/// lasts, not one per stall: a slow download stalls and resumes for every few KiB.
final class ResponseStallWatch {
    private let interval: TimeAmount
    private var timer: Scheduled<Void>?
    /// Whether the client drained its queue below the low watermark since the last look.
    private var drainedSinceLook = false
    /// What was still queued for the client at the last look.
    private var unsentAtLastLook = Int.max
    /// Asked at each look: whether the response still waits on the client. Set by the owner,
    /// cleared by `detach`.
    var isStalled: (() -> Bool)?
    /// Told when the client took nothing for a whole interval. Set and cleared like `isStalled`.
    var onStalled: (() -> Void)?

    init(interval: TimeAmount) {
        self.interval = interval
    }

    /// The client's socket is full and the response waits on it.
    func clientStopped(context: ChannelHandlerContext) {
        guard timer == nil else { return }  // a stall being watched already
        drainedSinceLook = false
        unsentAtLastLook = Self.unsentBytes(context) ?? .max
        schedule(context: context)
    }

    /// The client took enough of the response for more to be read for it.
    func clientResumed() {
        drainedSinceLook = true
    }

    /// The owner left the pipeline: no timer outlives it.
    func detach() {
        timer?.cancel()
        timer = nil
        isStalled = nil
        onStalled = nil
    }

    private func schedule(context: ChannelHandlerContext) {
        // Held strongly until it fires or `detach` cancels it (a weak capture gives this object a
        // side table).
        timer = context.eventLoop.scheduleTask(in: interval) { [self] in
            look(context: context)
        }
    }

    private func look(context: ChannelHandlerContext) {
        timer = nil
        guard isStalled?() == true else { return }  // the stall ended: the next one starts afresh
        let unsent = Self.unsentBytes(context) ?? 0
        guard drainedSinceLook || unsent < unsentAtLastLook else {
            onStalled?()
            return
        }
        drainedSinceLook = false
        unsentAtLastLook = unsent
        schedule(context: context)
    }

    private static func unsentBytes(_ context: ChannelHandlerContext) -> Int? {
        try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)
    }
}
