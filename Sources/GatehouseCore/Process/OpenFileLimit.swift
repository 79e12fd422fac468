// OpenFileLimit: the process's limit on open descriptors (RLIMIT_NOFILE), read and raised to its ceiling at start.
import Glibc

/// Every client connection, upstream connection and cached body's memory file is a descriptor,
/// and Debian's default soft limit of 1,024 would cap a proxy at a few hundred proxied
/// connections while `max_connections` defaults to 10,000. Like Go's runtime (since 1.19) and
/// nginx's `worker_rlimit_nofile`, `gatehouse run` raises the soft limit to the hard one, which
/// the operator (or systemd's `LimitNOFILE`) sets; it is never lowered.
public enum OpenFileLimit {
    /// The soft limit now (`Int.max` when unlimited); nil if it cannot be read.
    public static var current: Int? {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return nil }
        return limits.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limits.rlim_cur)
    }

    /// Raises the soft limit to the hard limit; the limits before and after, or nil when it was
    /// already there (or the kernel refused).
    @discardableResult
    public static func raiseToHardLimit() -> (from: Int, to: Int)? {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0, limits.rlim_cur < limits.rlim_max else { return nil }
        let from = limits.rlim_cur
        limits.rlim_cur = limits.rlim_max
        guard setrlimit(resource, &limits) == 0 else { return nil }
        return (Int(clamping: from), limits.rlim_max == rlim_t.max ? Int.max : Int(clamping: limits.rlim_max))
    }

    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}
