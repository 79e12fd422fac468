// RedisCommandEncoderTests: hiredis' argv formatting, byte for byte.
@testable import GatehouseRedis
import NIOCore
import Testing

@Suite struct RedisCommandEncoderTests {
    private func encoded(_ arguments: [RedisArgument]) throws -> String {
        var buffer = ByteBuffer()
        try RedisCommandEncoder.encode(arguments, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func encodesBulkStringArrays() throws {
        #expect(try encoded(["SET", "k", "välue", 42]) == "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nvälue\r\n$2\r\n42\r\n")
        #expect(try encoded(["GET", ""]) == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n")
    }

    @Test func encodesBinaryArgumentsByLength() throws {
        var buffer = ByteBuffer()
        buffer.writeBytes([9, 0, 8])
        buffer.moveReaderIndex(forwardBy: 1)
        var output = ByteBuffer()
        try RedisCommandEncoder.encode(["SET", .bytes([0, 13, 10]), .buffer(buffer)], into: &output)
        let expected: [UInt8] = Array("*3\r\n$3\r\nSET\r\n$3\r\n".utf8) + [0, 13, 10] + Array("\r\n$2\r\n".utf8) + [0, 8, 13, 10]
        #expect(Array(output.readableBytesView) == expected)
    }

    @Test func refusesAnEmptyCommand() {
        var buffer = ByteBuffer()
        #expect(throws: RedisError.encodingFailed) { try RedisCommandEncoder.encode([], into: &buffer) }
    }
}
