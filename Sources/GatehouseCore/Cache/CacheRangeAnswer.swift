// CacheRangeAnswer: how a cache hit answers a GET that carries `Range`.

/// What a stored response gives a range request (RFC 9110 §14.2, §15.3.7, §15.5.17).
public enum CacheRangeAnswer: Sendable, Equatable {
    /// The whole stored response, as without `Range`: no range the cache slices, an `If-Range`
    /// the entry no longer matches, or a stored status other than 200.
    case whole
    /// 206 with these bytes of the stored body.
    case partial(Range<Int>)
    /// 416: the range selects none of the stored body.
    case unsatisfiable
}
