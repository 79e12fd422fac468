// What the in-test origin server does with one request, chosen by the test per request.
import NIOCore

/// How ``TestUpstreamServer`` answers one request.
///
/// Unless a case says otherwise, the server first reads (counts, never stores) the whole request
/// body, like an origin that reads before answering, and honours keep-alive: the connection stays
/// open for the next request unless the request asked for `Connection: close` or the response
/// headers say so.
public enum TestUpstreamBehaviour: Sendable {
    /// A `Content-Length` framed response (the header is added unless `headers` frame the body
    /// themselves with `Content-Length` or `Transfer-Encoding`).
    case respond(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [])
    /// A chunked response, one chunk per element (empty elements are skipped), each flushed alone.
    case respondChunked(status: Int = 200, headers: [(String, String)] = [], chunks: [[UInt8]])
    /// 200 at once, then the request body streamed back (chunked) as it arrives; reading the
    /// request pauses while the client is not reading the response.
    case echo
    /// Waits (a scheduled task, never blocking), then behaves as `then`; the request body is not
    /// read during the wait.
    indirect case delay(TimeAmount, then: TestUpstreamBehaviour)
    /// Waits until the test opens `gate`, then behaves as `then`; as a delay, the request body is
    /// not read meanwhile.
    indirect case gated(TestGate, then: TestUpstreamBehaviour)
    /// Takes the request body slowly for `duration`: one read of at most 32 KiB every `interval`,
    /// through a 32 KiB socket receive buffer (an origin slower to take an upload than the client
    /// is to send it); then reads at full speed, and behaves as `then` once the body has ended.
    indirect case readSlowly(every: TimeAmount, for: TimeAmount, then: TestUpstreamBehaviour)
    /// 200 with `Content-Length: length` and a body of `pattern` repeated, written only while the
    /// connection is writable, so a 1 GiB body uses bounded memory. An empty pattern stands for
    /// one zero byte (see ``TestBodyChecksum/repeating(_:length:)``).
    case stream(length: Int, pattern: [UInt8])
    /// Sends a 200 head promising `contentLength` bytes, then `bodyBytesBeforeReset` bytes of `x`,
    /// then an abortive close (SO_LINGER 0, so the peer sees a TCP reset).
    case resetAfterHead(contentLength: Int, bodyBytesBeforeReset: Int)
    /// Reads the request, then closes the connection without answering.
    case closeWithoutResponse
    /// Reads the request and never answers (until ``TestUpstreamServer/shutdown()``).
    case hang
    /// Reads the whole request body without storing it and answers the JSON `{"received": N}`,
    /// N being the number of body bytes.
    case drainRequestThenRespond(status: Int = 200)
    /// Reads the request, writes `bytes` to the socket exactly as given (no HTTP encoding at all,
    /// for malformed-upstream tests), then closes the connection.
    case rawResponse([UInt8])
    /// Answers as soon as the head arrives, reading none of the body (an origin refusing an
    /// upload by its headers: 413, 401), then closes the connection.
    case respondBeforeBody(status: Int, body: [UInt8])

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
    }

    /// An `application/json` response whose body is `json`, sent as given.
    public static func json(_ json: String, status: Int = 200, headers: [(String, String)] = []) -> Self {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
    }

    /// Whether the server answers at once (and so must buffer the body arriving during a delay).
    var startsBeforeRequestEnd: Bool {
        switch self {
        case .echo:
            return true
        case .delay(_, let then), .gated(_, let then):
            return then.startsBeforeRequestEnd
        default:
            return false
        }
    }
}
