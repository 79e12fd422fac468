// RedisScriptTests: EVALSHA, the NOSCRIPT fallback, and the SHA1 scripts are named by.
import GatehouseRedis
import Testing

@Suite struct RedisScriptTests {
    private let script = RedisScript("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")

    @Test func shaMatchesScriptLoad() async throws {
        try await RedisTest.withRedis { client, _ in
            let sha1 = try await client.scriptLoad(script).get()
            #expect(sha1 == script.sha1)
            let unicode = RedisScript("return 'grüße ✓'")
            #expect(try await client.scriptLoad(unicode).get() == unicode.sha1)
        }
    }

    @Test func evalshaLoadsTheScriptWhenRedisForgotIt() async throws {
        try await RedisTest.withRedis { client, _ in
            // Never loaded: the first call takes the NOSCRIPT path.
            let first = try await client.evalsha(script, keys: ["n"], arguments: ["x"]).get()
            #expect(first.array?.count == 3)
            #expect(first.array?.last == .integer(1))

            #expect(try await client.send(["SCRIPT", "FLUSH"]).get() == .simpleString("OK"))
            let again = try await client.evalsha(script, keys: ["n"], arguments: ["x"]).get()
            #expect(again.array?.last == .integer(2))
            #expect(again.array?.first?.string == "n")
        }
    }

    @Test func scriptErrorsAreThrown() async throws {
        try await RedisTest.withRedis { client, _ in
            let failing = RedisScript("return redis.error_reply('LIMIT broken')")
            await #expect(throws: RedisError.server("LIMIT broken")) {
                try await client.evalsha(failing).get()
            }
        }
    }
}
