// Builds every response head: framing, Date, Connection, and the caching rules of the demo API.
import NIOHTTP1

/// The caching rules, in one place:
/// - a write (anything but GET/HEAD) answers `Cache-Control: no-store`, errors included;
/// - a cacheable 2xx GET/HEAD answers `public, max-age=N` (`no-store` when N is 0) with an
///   `ETag`, and 304 when `If-None-Match` matches it;
/// - other GET answers (404, 400…) say nothing, leaving the decision to the cache in front.
struct ResponseHeadBuilder: Sendable {
    let maxAge: Int
    let clock: DateHeaderClock

    struct Result {
        var head: HTTPResponseHead
        /// False for HEAD, 304 and statuses without a body: write the head and the end only.
        var writesBody: Bool
    }

    /// - Parameters:
    ///   - contentLength: `nil` streams the body with chunked coding (HTTP/1.1).
    ///   - etag: computed only when the answer is cacheable and carries no tag yet.
    func head(
        status: HTTPResponseStatus,
        for request: IncomingRequest,
        contentType: String?,
        contentLength: Int?,
        caching: ResponseCaching,
        etag: () -> String,
        extraHeaders: [(name: String, value: String)] = []
    ) -> Result {
        var status = status
        var headers = HTTPHeaders()
        var cacheControl: String?
        if !request.isRead {
            cacheControl = "no-store"
        } else {
            switch caching {
            case .cacheable(let given) where (200..<300).contains(status.code):
                let tag = given ?? etag()
                headers.add(name: "ETag", value: tag)
                cacheControl = self.maxAge > 0 ? "public, max-age=\(self.maxAge)" : "no-store"
                let conditions = request.head.headers["if-none-match"]
                if !conditions.isEmpty, ETag.matches(ifNoneMatch: conditions, etag: tag) {
                    status = .notModified
                }
            case .cacheable, .unspecified:
                cacheControl = nil
            case .noStore:
                cacheControl = "no-store"
            }
        }
        if let cacheControl {
            headers.add(name: "Cache-Control", value: cacheControl)
        }
        let statusHasBody = status.mayHaveResponseBody
        if statusHasBody {
            if let contentType {
                headers.add(name: "Content-Type", value: contentType)
            }
            if let contentLength {
                headers.add(name: "Content-Length", value: String(contentLength))
            }
        }
        for header in extraHeaders {
            headers.add(name: header.name, value: header.value)
        }
        headers.add(name: "Date", value: self.clock.httpDate)
        if !request.keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.head.version.major == 1 && request.head.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return Result(
            head: HTTPResponseHead(version: request.head.version, status: status, headers: headers),
            writesBody: statusHasBody && request.method != .HEAD
        )
    }
}
