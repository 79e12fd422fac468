// RedisServerProcess+Scoped: a redis-server for the length of a closure, stopped whatever it does.

extension RedisServerProcess {
    /// Runs `body` with a fresh redis-server that is stopped afterwards, also when `body` throws.
    public static func with<Result>(
        password: String? = nil,
        unixSocket: Bool = false,
        extraArguments: [String] = [],
        _ body: (RedisServerProcess) async throws -> Result
    ) async throws -> Result {
        let server = try await start(password: password, unixSocket: unixSocket, extraArguments: extraArguments)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
