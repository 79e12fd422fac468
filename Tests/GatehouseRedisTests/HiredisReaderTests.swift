// HiredisReaderTests: hiredis' reader fed whole, split, binary and broken input.
@testable import GatehouseRedis
import NIOCore
import Testing

@Suite struct HiredisReaderTests {
    private func values(from chunks: [String]) throws -> [RedisValue] {
        let reader = try HiredisReader(allocator: ByteBufferAllocator())
        var values: [RedisValue] = []
        for chunk in chunks {
            try reader.feed(ByteBuffer(string: chunk))
            while let value = try reader.next() { values.append(value) }
        }
        return values
    }

    private let stream = "+OK\r\n:-42\r\n$3\r\nfoo\r\n$-1\r\n*3\r\n$1\r\na\r\n*-1\r\n*1\r\n:7\r\n-ERR bad\r\n$0\r\n\r\n"
    private var expected: [RedisValue] {
        [
            .simpleString("OK"), .integer(-42), .bulkString(ByteBuffer(string: "foo")), .null,
            .array([.bulkString(ByteBuffer(string: "a")), .null, .array([.integer(7)])]),
            .error("ERR bad"), .bulkString(ByteBuffer()),
        ]
    }

    @Test func decodesEveryReplyType() throws {
        #expect(try values(from: [stream]) == expected)
    }

    @Test func decodesInputSplitAtEveryByte() throws {
        #expect(try values(from: stream.map { String($0) }) == expected)
    }

    @Test func bulkStringsAreBinarySafe() throws {
        let reader = try HiredisReader(allocator: ByteBufferAllocator())
        var input = ByteBuffer(string: "$6\r\n")
        input.writeBytes([0, 13, 10, 255, 36, 0])
        input.writeString("\r\n")
        try reader.feed(input)
        #expect(try reader.next()?.bytes == [0, 13, 10, 255, 36, 0])
        #expect(try reader.next() == nil)
    }

    @Test func garbageFailsCleanlyAndStaysFailed() throws {
        let reader = try HiredisReader(allocator: ByteBufferAllocator())
        try reader.feed(ByteBuffer(string: "!not resp\r\n"))
        #expect {
            _ = try reader.next()
        } throws: { error in
            guard case RedisError.protocolError(let message) = error else { return false }
            return message.contains("Protocol error")
        }
        // Poisoned: it does not resynchronise on good input, so the connection must go.
        #expect(throws: RedisError.self) {
            try reader.feed(ByteBuffer(string: "+OK\r\n"))
            _ = try reader.next()
        }
    }

    @Test func badLengthsFailCleanly() throws {
        for input in ["$abc\r\n", ":12x\r\n", "*-5x\r\n"] {
            let reader = try HiredisReader(allocator: ByteBufferAllocator())
            #expect(throws: RedisError.self, "input \(input.debugDescription)") {
                try reader.feed(ByteBuffer(string: input))
                _ = try reader.next()
            }
        }
    }
}
