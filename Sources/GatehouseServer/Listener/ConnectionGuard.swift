// ConnectionGuard: a client connection's idle and header timeouts, and its raw refusals.
import GatehouseCore
import NIOCore

/// Watches a client connection for `ProxyHandler`, which owns it and tells it what happens:
/// closes the connection after `idle_timeout` without a request, answers 408 when a started head
/// is not complete within `read_header_timeout` (slowloris), has the owner answer 408 when a
/// request body falls behind `min_body_rate` (`RequestBodyClock`), and writes whole error responses
/// where no request could be read (parse errors). Not a handler of its own: in front of
/// `ProxyHandler` it cost a pipeline hop on every read and read-complete (~1 % of a hit's CPU).
final class ConnectionGuard {
    enum State {
        /// Between requests, waiting for the first byte of the next head.
        case idle
        /// Bytes of a head have arrived; the head is not complete yet.
        case readingHead
        /// A request is being handled; its own timeouts apply.
        case busy
        /// A request's body is being read for the origin, within the minimum-rate rule; the
        /// request is busy otherwise.
        case readingBody(RequestBodyClock)
        /// The response went out before the request body ended; the rest is read and dropped
        /// within `idle_timeout` of the answer, however it trickles (nginx's lingering_time).
        case discardingBody
        case closed
    }

    private(set) var state: State = .idle
    private let idleTimeout: TimeAmount
    private let readHeaderTimeout: TimeAmount
    /// Bytes per second a request body must keep up while read; 0 = no rate rule.
    private let minBodyRate: Int
    /// When the current wait ends, and what happens then; nil while a request is handled.
    private var deadline: (at: NIODeadline, then: Expiry)?
    /// One timer per connection that fires at most `granularity` after it was set and re-arms
    /// itself until the deadline: a request moves the deadline with two stores instead of a
    /// cancel and a schedule on the event loop's timer heap (which cost ~8% of a cache hit).
    private var timer: Scheduled<Void>?
    private let granularity: TimeAmount
    /// What was still unsent of the last response when the idle timeout last found it so: a
    /// slow client that takes some of it each `idle_timeout` is downloading, not idle (nginx's
    /// `send_timeout`); one that takes nothing is closed.
    private var unsentAtLastLook: Int?
    /// The owning handler's context, from `attach` to `detach`.
    private var context: ChannelHandlerContext?
    /// Told about the refusals this guard makes on its own (408), for metrics and the access
    /// log; set by the owner, cleared by `detach`.
    var onTimeoutRefusal: ((GatehouseError) -> Void)?
    /// Told when a request body fell behind the minimum rate: the owner answers it (408, or a cut
    /// connection once its response started), as only it knows the request. Set and cleared
    /// like `onTimeoutRefusal`.
    var onRequestBodyTimeout: (() -> Void)?

    init(idleTimeout: TimeAmount, readHeaderTimeout: TimeAmount, minBodyRate: Int) {
        self.idleTimeout = idleTimeout
        self.readHeaderTimeout = readHeaderTimeout
        self.minBodyRate = minBodyRate
        self.granularity = min(idleTimeout, readHeaderTimeout)
    }

    /// The HTTP handler parsed a complete head.
    func requestHeadReceived() {
        if case .closed = state { return }
        state = .busy
        deadline = nil
    }

    /// The request's body is read on for the origin (the upstream connection is ready), within
    /// `read_header_timeout` plus a second per `min_body_rate` bytes of reading time, and
    /// `idle_timeout` between reads. `received` bytes came while reads were paused before.
    func readingRequestBody(received: Int, readsPaused: Bool) {
        guard case .busy = state else { return }
        let clock = RequestBodyClock(
            allowance: readHeaderTimeout, minRate: minBodyRate, maxGap: idleTimeout, received: received,
            readsPaused: readsPaused, now: .now()
        )
        state = .readingBody(clock)
        follow(clock)
    }

    /// Body bytes arrived for the origin.
    func requestBodyBytesArrived(_ count: Int) {
        guard case .readingBody(var clock) = state else { return }
        clock.bytesArrived(count, at: .now())
        state = .readingBody(clock)  // the timer reads the moved deadline when it fires
    }

    /// The owner stopped reading the client: the origin is not taking the body.
    func clientReadsPaused() {
        guard case .readingBody(var clock) = state else { return }
        clock.pause(at: .now())
        state = .readingBody(clock)
    }

    func clientReadsResumed() {
        guard case .readingBody(var clock) = state else { return }
        clock.resume(at: .now())
        state = .readingBody(clock)
        follow(clock)
    }

    /// The whole body was read.
    func requestBodyEnded() {
        guard case .readingBody = state else { return }
        state = .busy
        deadline = nil
    }

    /// Points the deadline at the body clock's, and starts the timer if it is not running (a
    /// running one fires within `granularity` and reads the deadline again then).
    private func follow(_ clock: RequestBodyClock) {
        deadline = clock.deadline.map { ($0, .requestBodyTimeout) }
        if let at = deadline?.at, timer == nil {
            schedule(at: min(at, .now() + granularity))
        }
    }

    /// The request was answered before its body ended: the rest must arrive in bounded time.
    func discardingRequestBody() {
        switch state {
        case .busy, .readingBody:
            break
        case .idle, .readingHead, .discardingBody, .closed:
            return
        }
        state = .discardingBody
        arm(idleTimeout, then: .closeSilently)
    }

    /// The response to the current request is complete and the connection stays open.
    func requestFinished() {
        switch state {
        case .busy, .readingBody, .discardingBody:
            break
        case .idle, .readingHead, .closed:
            return
        }
        state = .idle
        unsentAtLastLook = nil
        arm(idleTimeout, then: .closeSilently)
    }

    /// Writes `error` as a whole response and closes the connection.
    func refuse(_ error: GatehouseError, requestID: String? = nil) {
        guard let context, !isClosed else { return }
        state = .closed
        cancelTimer()
        let bytes = RawErrorResponse.bytes(for: error, requestID: requestID, allocator: context.channel.allocator)
        context.writeAndFlush(NIOAny(bytes)).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Bytes written to the channel and not yet taken by the socket.
    private var unsentBytes: Int? {
        try? context?.channel.syncOptions?.getOption(.bufferedWritableBytes)
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private enum Expiry {
        case closeSilently
        case requestTimeout
        case requestBodyTimeout
    }

    private func arm(_ amount: TimeAmount, then expiry: Expiry) {
        let now = NIODeadline.now()
        deadline = (now + amount, expiry)
        // A running timer fires within `granularity` of when it was set, so never after this
        // deadline (amount >= granularity): it can stay.
        if timer == nil {
            schedule(at: now + granularity)
        }
    }

    private func schedule(at time: NIODeadline) {
        guard let context else { return }
        // Held strongly until it fires or `cancelTimer` runs (on close and `detach` at the
        // latest): a weak capture would give this object a side table, which slows every retain
        // of it.
        timer = context.eventLoop.scheduleTask(deadline: time) { [self] in
            timerFired()
        }
    }

    private func cancelTimer() {
        deadline = nil
        timer?.cancel()
        timer = nil
    }

    private func timerFired() {
        timer = nil
        if case .readingBody(let clock) = state {
            // Each body read moves this deadline on; it is worked out only here. Nil while the
            // client is not being read: `clientReadsResumed` starts the timer again.
            deadline = clock.deadline.map { ($0, .requestBodyTimeout) }
        }
        guard let (at, expiry) = deadline else { return }  // busy: the next wait sets it again
        let now = NIODeadline.now()
        guard now >= at else {
            schedule(at: min(at, now + granularity))
            return
        }
        deadline = nil
        expired(expiry)
    }

    private func expired(_ expiry: Expiry) {
        switch expiry {
        case .closeSilently:
            switch state {
            case .idle, .discardingBody:
                break
            case .readingHead, .busy, .readingBody, .closed:
                return
            }
            if case .idle = state, let unsent = unsentBytes, unsent > 0, unsent < unsentAtLastLook ?? .max {
                // The last response is still going out, and the client took some of it since
                // the last look: a close now would drop the rest (a 1 MiB hit to a client below
                // ~17 KB/s outlasts the default 60 s).
                unsentAtLastLook = unsent
                arm(idleTimeout, then: .closeSilently)
                return
            }
            state = .closed
            context?.close(promise: nil)
        case .requestTimeout:
            guard case .readingHead = state else { return }
            let error = GatehouseError(.requestTimeout, "Request head not received within the read header timeout")
            onTimeoutRefusal?(error)
            refuse(error)
        case .requestBodyTimeout:
            guard case .readingBody = state else { return }
            state = .busy
            onRequestBodyTimeout?()
        }
    }
}

// What the owning handler passes on from its pipeline events.
extension ConnectionGuard {
    /// The owner was added to the pipeline.
    func attach(to context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            arm(idleTimeout, then: .closeSilently)
        }
    }

    /// The owner left the pipeline: no timer outlives it.
    func detach() {
        cancelTimer()
        onTimeoutRefusal = nil
        onRequestBodyTimeout = nil
        context = nil
    }

    func channelActive() {
        arm(idleTimeout, then: .closeSilently)
    }

    func channelInactive() {
        state = .closed
        cancelTimer()
    }

    /// Bytes arrived from the client; false when they must be dropped unread (after a refusal).
    func bytesArrived() -> Bool {
        switch state {
        case .idle:
            state = .readingHead
            arm(readHeaderTimeout, then: .requestTimeout)
            return true
        case .readingHead, .busy, .readingBody, .discardingBody:
            return true
        case .closed:
            return false
        }
    }
}
