// RedisCommandTests: commands and replies against a real redis-server, byte for byte.
import GatehouseRedis
import NIOCore
import Testing

@Suite struct RedisCommandTests {
    @Test func setAndGetEveryByteValue() async throws {
        try await RedisTest.withRedis { client, _ in
            let value = (0...255).map { UInt8($0) } + [0, 13, 10, 0]
            try await client.set("binary", to: .bytes(value)).get()
            let stored = try await client.get("binary").get()
            #expect(stored.map { Array($0.readableBytesView) } == value)
            // Binary keys too: NUL and CRLF inside a key.
            try await client.set(.bytes([0, 13, 10, 255]), to: "k").get()
            #expect(try await client.get(.bytes([0, 13, 10, 255])).get().map { String(buffer: $0) } == "k")
        }
    }

    @Test func oneMebibyteValueRoundTrips() async throws {
        try await RedisTest.withRedis { client, _ in
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            var buffer = ByteBuffer()
            buffer.writeBytes(value)
            try await client.set("big", to: .buffer(buffer)).get()
            let stored = try #require(try await client.get("big").get())
            #expect(stored.readableBytes == value.count)
            #expect(Array(stored.readableBytesView) == value)
        }
    }

    @Test func missingKeyIsNilAndNullBulk() async throws {
        try await RedisTest.withRedis { client, _ in
            let value = try await client.get("absent").get()
            #expect(value == nil)
            #expect(try await client.send(["GET", "absent"]).get() == .null)
        }
    }

    @Test func integersAndExpiry() async throws {
        try await RedisTest.withRedis { client, _ in
            #expect(try await client.incr("counter").get() == 1)
            #expect(try await client.incr("counter").get() == 2)
            #expect(try await client.expire("counter", after: .seconds(30)).get())
            #expect(try await client.expire("absent", after: .seconds(30)).get() == false)
            let ttl = try #require(try await client.send(["PTTL", "counter"]).get().integer)
            #expect(ttl > 0 && ttl <= 30_000)

            try await client.set("short", to: "v", ttl: .milliseconds(1500)).get()
            let shortTTL = try #require(try await client.send(["PTTL", "short"]).get().integer)
            #expect(shortTTL > 0 && shortTTL <= 1500)
            #expect(try await client.del(["counter", "short", "absent"]).get() == 2)
        }
    }

    @Test func arraysKeepOrderAndNulls() async throws {
        try await RedisTest.withRedis { client, _ in
            try await client.set("a", to: "1").get()
            try await client.set("c", to: .bytes([])).get()
            let reply = try await client.send(["MGET", "a", "b", "c"]).get()
            #expect(reply == .array([.bulkString(ByteBuffer(string: "1")), .null, .bulkString(ByteBuffer())]))
            #expect(try await client.send(["PING"]).get() == .simpleString("PONG"))
            #expect(try await client.send(["LRANGE", "nolist", 0, -1]).get() == .array([]))
        }
    }

    @Test func errorRepliesAreValuesOrThrown() async throws {
        try await RedisTest.withRedis { client, _ in
            try await client.set("text", to: "not a number").get()
            let reply = try await client.send(["INCR", "text"]).get()
            #expect(reply.errorMessage?.hasPrefix("ERR") == true)
            await #expect(throws: RedisError.self) { try await client.incr("text").get() }
            let unknown = try await client.send(["NOSUCHCOMMAND"]).get()
            #expect(unknown.errorMessage?.contains("unknown command") == true)
            // The connection is still in step after error replies.
            #expect(try await client.get("text").get().map { String(buffer: $0) } == "not a number")
        }
    }
}
