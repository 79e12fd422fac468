// DateFieldCache: the `Date` field for responses that carry none, formatted once a second.
import GatehouseCore
import NIOCore

/// RFC 9110 §6.6.1: a server with a clock sends `Date` on its 2xx–4xx answers, and a proxy
/// that forwards a response without one adds it. Gatehouse's own error answers and a relayed
/// response whose origin sent none get this value (answers made from the cache carry the
/// entry's, stored with every entry); one per connection, so a second's value is formatted
/// once however many answers need it.
struct DateFieldCache {
    private var second: Int64 = .min
    private var text = ""
    private var line = ByteBuffer()

    /// The current time as a `Date` value.
    mutating func value() -> String {
        refresh()
        return text
    }

    /// Appends `Date: <now>\r\n` to `buffer`.
    mutating func write(into buffer: inout ByteBuffer) {
        refresh()
        buffer.writeImmutableBuffer(line)
    }

    private mutating func refresh() {
        let now = CacheTime.now()
        guard now.secondsSince1970 != second else { return }
        second = now.secondsSince1970
        text = HTTPDate.format(now)
        line = ByteBuffer(string: "Date: " + text + "\r\n")
    }
}
