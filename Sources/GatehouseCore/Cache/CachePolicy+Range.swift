// CachePolicy+Range: byte ranges of stored responses — which part of an entry a range request gets.
import NIOHTTP1

extension CachePolicy {
    /// How `entry` answers a GET with `headers`: the client's `Range` (one `bytes` range; see
    /// `ByteRangeRequest`) under its `If-Range`, against the stored 200's body. Conditionals
    /// (`isNotModified`) are decided first, as RFC 9110 §13.2.2 orders them.
    public func rangeAnswer(for entry: CacheEntry, requestHeaders headers: HTTPHeaders) -> CacheRangeAnswer {
        let values = headers["range"]
        guard entry.status == .ok, values.count == 1, let value = values.first,
              let range = ByteRangeRequest(parsing: value), !Self.refusesRanges(entry)
        else { return .whole }
        if let condition = headers.first(name: "if-range"), !Self.ifRangeHolds(condition, for: entry) {
            return .whole
        }
        guard let bytes = range.resolve(length: entry.storedBody.count) else { return .unsatisfiable }
        return .partial(bytes)
    }

    /// An origin that says it serves no ranges (`Accept-Ranges: none`, RFC 9110 §14.3) is taken
    /// at its word for its stored responses too, as nginx does unless told otherwise
    /// (`proxy_force_ranges`).
    static func refusesRanges(_ entry: CacheEntry) -> Bool {
        entry.headers["accept-ranges"].contains { value in
            value.split(separator: ",").contains { FieldName.equals(String($0.trimmingOWS()), "none") }
        }
    }

    /// RFC 9110 §13.1.5: an entity-tag must match the entry's strongly; a date must equal its
    /// `Last-Modified` exactly (as nginx compares). Anything else means the client's part may be
    /// of another version, so it gets the whole response.
    static func ifRangeHolds(_ condition: String, for entry: CacheEntry) -> Bool {
        let trimmed = condition.trimmingOWS()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let tag = EntityTag(parsing: trimmed), let etag = entry.etag else { return false }
            return tag.stronglyMatches(etag)
        }
        guard let date = HTTPDate.parse(trimmed, now: entry.responseTime),
              let modified = entry.lastModified.flatMap({ HTTPDate.parse($0, now: entry.responseTime) })
        else { return false }
        return date == modified
    }
}
