// HTTPWireTests: the status line Gatehouse writes for each HTTP version and status.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct HTTPWireTests {
    private func statusLine(_ version: HTTPVersion, _ status: HTTPResponseStatus) -> String {
        var buffer = ByteBuffer()
        let written = buffer.writeHTTPStatusLine(version: version, status: status)
        #expect(written == buffer.readableBytes)
        return String(buffer: buffer)
    }

    @Test func statusLinesFollowTheClientsVersionAndTheStatus() {
        // 200 OK takes a shortcut of its own; the others are assembled from their parts.
        #expect(statusLine(.http1_1, .ok) == "HTTP/1.1 200 OK\r\n")
        #expect(statusLine(.http1_0, .ok) == "HTTP/1.0 200 OK\r\n")
        #expect(statusLine(.http1_1, .notFound) == "HTTP/1.1 404 Not Found\r\n")
        #expect(statusLine(.http1_0, .notModified) == "HTTP/1.0 304 Not Modified\r\n")
        #expect(statusLine(.http1_1, .custom(code: 200, reasonPhrase: "Fine")) == "HTTP/1.1 200 Fine\r\n")
        #expect(statusLine(.http1_1, .custom(code: 599, reasonPhrase: "Odd")) == "HTTP/1.1 599 Odd\r\n")
    }
}
