// AccessLogEntry: one request as one JSON line of the access log (DESIGN.md §9).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the access log records about a request, whatever ended it.
public struct AccessLogEntry: Sendable {
    /// Wall-clock time the request started, seconds since 1970 (fractional).
    public var time: Double
    public var client: String
    /// A hash of the user's identity; never the credential.
    public var user: String?
    public var method: String
    public var path: String
    public var status: Int
    /// Response body bytes sent to the client.
    public var bytes: Int
    public var durationSeconds: Double
    /// What the cache did: hit, miss, stale, bypass.
    public var cache: String
    /// allowed, limited, or nil when no policy matched.
    public var rateLimit: String?
    /// The upstream server that answered, if any.
    public var upstream: String?
    public var requestID: String

    public init(
        time: Double, client: String, user: String? = nil, method: String, path: String, status: Int,
        bytes: Int, durationSeconds: Double, cache: String, rateLimit: String? = nil, upstream: String? = nil,
        requestID: String
    ) {
        self.time = time
        self.client = client
        self.user = user
        self.method = method
        self.path = path
        self.status = status
        self.bytes = bytes
        self.durationSeconds = durationSeconds
        self.cache = cache
        self.rateLimit = rateLimit
        self.upstream = upstream
        self.requestID = requestID
    }

    /// The JSON object on one line, newline-terminated.
    public var jsonLine: String {
        var fields: [(String, JSONValue)] = [
            ("time", .string(Self.rfc3339(time))),
            ("client", .string(client)),
            ("user", user.map(JSONValue.string) ?? .null),
            ("method", .string(method)),
            ("path", .string(path)),
            ("status", .int(status)),
            ("bytes", .int(bytes)),
            ("duration", .double((durationSeconds * 1_000_000).rounded() / 1_000_000)),
            ("cache", .string(cache)),
            ("rate_limit", rateLimit.map(JSONValue.string) ?? .null),
            ("upstream", upstream.map(JSONValue.string) ?? .null),
            ("request_id", .string(requestID)),
        ]
        fields.reserveCapacity(fields.count)
        return JSONValue.object(fields).encoded + "\n"
    }

    /// `2026-11-25T15:04:05.123Z`.
    static func rfc3339(_ time: Double) -> String {
        var seconds = time_t(time.rounded(.down))
        let millis = Int((time - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
