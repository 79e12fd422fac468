// RequestIDValueTests: a request id's text and its response-head line, generated or given.

import NIOCore
import Testing
@testable import GatehouseCore

@Suite struct RequestIDValueTests {
    static func line(_ id: RequestIDValue) -> String {
        var buffer = ByteBuffer()
        id.writeField(into: &buffer)
        return String(buffer: buffer)
    }

    @Test func generatedIdIs32HexDigitsHighFirst() {
        let id = RequestIDValue.generated(high: 0x0123_4567_89AB_CDEF, low: 0xF)
        #expect(id.text == "0123456789abcdef000000000000000f")
        #expect(Self.line(id) == "X-Request-Id: 0123456789abcdef000000000000000f\r\n")
    }

    @Test func givenIdIsWrittenAsSent() {
        let id = RequestIDValue.given("abc-123")
        #expect(id.text == "abc-123")
        #expect(Self.line(id) == "X-Request-Id: abc-123\r\n")
    }

    @Test func generatorGivesDistinctAcceptableIds() {
        var generator = RequestIDGenerator()
        let ids = (0..<100).map { _ in generator.next().text }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && RequestID.isAcceptable($0) })
        // The line written without the text holds the very text.
        let id = generator.next()
        #expect(Self.line(id) == "X-Request-Id: " + id.text + "\r\n")
    }
}
