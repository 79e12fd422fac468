// DateFieldCache: the `Date` field for responses that carry none, formatted once a second.
import GatehouseCore
import NIOCore

/// RFC 9110 §6.6.1: a server with a clock sends `Date` on its 2xx–4xx answers, and a proxy
/// that forwards a response without one adds it. Gatehouse's own answers (errors, 304s and
/// 206s made from the cache) and a relayed response whose origin sent none get this line; one
/// per connection, so a second's line is formatted once however many answers need it.
struct DateFieldCache {
    private var second: Int64 = .min
    private var line = ByteBuffer()

    /// Appends `Date: <now>\r\n` to `buffer`.
    mutating func write(into buffer: inout ByteBuffer) {
        let now = CacheTime.now()
        if now.secondsSince1970 != second {
            second = now.secondsSince1970
            line = ByteBuffer(string: "Date: " + HTTPDate.format(now) + "\r\n")
        }
        buffer.writeImmutableBuffer(line)
    }
}
