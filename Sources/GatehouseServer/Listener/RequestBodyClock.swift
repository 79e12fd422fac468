// RequestBodyClock: how long a request body being read may still take, by the minimum-rate rule.
import NIOCore

/// The minimum-rate rule for a request body (Apache mod_reqtimeout's `body=…,MinRate=…`): the
/// body may take `allowance` plus one second per `minRate` bytes received, and only the time
/// Gatehouse spends reading it counts. While reads are paused because the origin does not take
/// the body (backpressure), the clock stands still: that wait is the origin's, bounded on the
/// upstream side. Also, no single wait for the client's next bytes may last `maxGap` (nginx's
/// `client_body_timeout`, Apache's `Timeout`): credit banked by a fast start must not let a
/// client stall for hours, holding a connection to the origin meanwhile.
struct RequestBodyClock {
    private let allowance: TimeAmount
    /// Bytes per second; 0 leaves only `maxGap`.
    private let minRate: Int
    private let maxGap: TimeAmount
    private var received: Int
    /// Reading time used up before the current run of reading.
    private var spent: TimeAmount = .zero
    /// When the current run of reading began; nil while reads are paused.
    private var runningSince: NIODeadline?
    /// The last bytes, or the end of the last pause if later: where the current gap began.
    private var lastProgress: NIODeadline

    /// A clock for a body of which `received` bytes came before it started (while the request
    /// waited for an upstream connection, with reads paused).
    init(allowance: TimeAmount, minRate: Int, maxGap: TimeAmount, received: Int, readsPaused: Bool, now: NIODeadline) {
        self.allowance = allowance
        self.minRate = minRate
        self.maxGap = maxGap
        self.received = received
        self.runningSince = readsPaused ? nil : now
        self.lastProgress = now
    }

    mutating func bytesArrived(_ count: Int, at now: NIODeadline) {
        received += count
        lastProgress = now
    }

    /// Gatehouse stopped reading the client (the origin is not taking the body).
    mutating func pause(at now: NIODeadline) {
        guard let since = runningSince else { return }
        spent = spent + (now - since)
        runningSince = nil
    }

    mutating func resume(at now: NIODeadline) {
        guard runningSince == nil else { return }
        runningSince = now
        lastProgress = now
    }

    /// When the body is overdue unless more of it arrives; nil while reads are paused.
    var deadline: NIODeadline? {
        guard let since = runningSince else { return nil }
        let gapEnds = lastProgress + maxGap
        guard minRate > 0 else { return gapEnds }
        return min(since + (budget - spent), gapEnds)
    }

    /// `allowance` plus one second per `minRate` bytes received; the earned part is capped at
    /// the longest config duration, so that the sums stay far from overflowing.
    private var budget: TimeAmount {
        let earnedSeconds = min(Double(received) / Double(minRate), Self.longestEarned)
        return allowance + .nanoseconds(Int64(earnedSeconds * 1e9))
    }

    /// 8784 h, the longest duration a config may give (`DurationSyntax.longest`).
    private static let longestEarned: Double = 8784 * 3600
}
