// One request/response exchange as TestHTTPClient hands it to its channel handler, and its outcome.
import NIOCore
import NIOHTTP1

/// Written into the client channel: the handler sends the request and fulfils `promise`.
struct TestHTTPClientExchange: Sendable {
    enum RequestBody: Sendable {
        case none
        case bytes(ByteBuffer)
        /// `length` bytes made by repeating `chunk`, written only while the channel is writable.
        case generated(length: Int, chunk: ByteBuffer)
    }

    var head: HTTPRequestHead
    var body: RequestBody
    /// Collect the body bytes (`send`) or only count and checksum them (`sendStreaming`).
    var storesBody: Bool
    var timeout: TimeAmount
    var promise: EventLoopPromise<TestHTTPClientExchangeResult>
}

/// What arrived for one exchange; `complete` is false when the connection was cut mid-body.
struct TestHTTPClientExchangeResult: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var checksum: TestBodyChecksum
    var complete: Bool
}
