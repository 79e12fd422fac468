// ConfigLoaderTests: valid files become the expected typed config; defaults fill what is left out.

import Testing
@testable import GatehouseCore

@Suite struct ConfigLoaderTests {
    @Test func minimalFileTakesEveryDefault() throws {
        let config = try ConfigLoader.parse(yaml: ConfigTestSupport.upstreamLine, file: "proxy.conf")
        let expected = GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: 3000)]))
        #expect(config == expected)
        #expect(config.server.listen == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(config.server.adminListen == ListenAddress(host: "127.0.0.1", port: 9901))
        #expect(config.server.adminTokenEnv == "GATEHOUSE_ADMIN_TOKEN")
        #expect(config.server.trustedProxies == [IPNetwork(parsing: "127.0.0.1/32")])
        #expect(config.server.clientIPHeader == .auto)
        #expect(config.server.threads == nil)
        #expect(config.server.idleTimeout == .seconds(60))
        #expect(config.server.minBodyRate == 500)
        #expect(config.server.maxHeaderBytes == 32 * 1024)
        #expect(config.server.accessLog == .stdout)
        #expect(config.upstream.connectTimeout == .seconds(2))
        #expect(config.redis.url == RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: 6379), database: 0, password: nil))
        #expect(config.redis.timeout == .milliseconds(250))
        #expect(config.identity.apiKeyHeader == "X-API-Key")
        #expect(config.identity.jwt == nil)
        #expect(config.rateLimits.policies.isEmpty)
        #expect(config.cache.store == .memory)
        #expect(config.cache.memoryBudget == 256 * 1024 * 1024)
        #expect(config.cache.rules.isEmpty)
    }

    @Test func emptySectionsTakeTheirDefaults() throws {
        let yaml = """
        server:
        redis: {}
        \(ConfigTestSupport.upstreamLine)
        identity:
        rate_limits:
        cache:
        """
        let config = try ConfigLoader.parse(yaml: yaml, file: "proxy.conf")
        #expect(config == GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: 3000)])))
    }

    @Test func fullFileIsReadIntoTheModel() throws {
        let yaml = """
        server:
          listen: "[::]:8081"
          admin_listen: 127.0.0.1:0
          admin_token_env: ADMIN_TOKEN
          trusted_proxies: ["10.0.0.0/8", "fd00::/8", 192.168.1.1]
          client_ip_header: forwarded
          threads: 4
          drain_timeout: 1m30s
          read_header_timeout: 5s
          idle_timeout: 2m
          min_body_rate: 2KiB/s
          max_header_bytes: 64KiB
          max_body_bytes: 1MB
          max_connections: 1_000
          access_log: /var/log/gatehouse.log
        upstream:
          servers:
            - http://127.0.0.1:3000
            - http://[::1]:3001/
            - http://api.internal
          connect_timeout: 500ms
          response_timeout: 10s
          max_idle_connections: 8
          keepalive_timeout: 10s
          resolve_interval: 5s
        redis:
          url: "redis://:p%40ss@redis.internal:6380/2"
          pool_size: 16
          timeout: 1s
          key_prefix: "gh:"
        identity:
          api_key_header: X-Key
          user_header: off
          jwt:
            public_key_file: /etc/gatehouse/jwt.pem
            claim: email
            leeway: 0s
            issuer: https://auth.example.com
            audience: [orders-api, gatehouse]
        rate_limits:
          store: redis
          on_store_error: deny
          max_tracked_keys: 5000
          policies:
            - name: per-ip
              key: ip
              limit: 100
              window: 1m
              ipv6_prefix: 48
            - name: per-user
              key: user
              limit: 1000
              window: 1h
              match: { path_prefix: /api/, methods: [GET, POST] }
            - name: tenant
              key: header:X-Tenant
              limit: 5
              window: 1s
        cache:
          store: redis
          version: "2"
          memory_budget: 64MiB
          max_object_size: 2MiB
          default_ttl: 5s
          stale_while_revalidate: 0s
          stale_if_error: 1h
          rules:
            - path_prefix: /api/users/me
              per_user: yes
            - path_prefix: /api/users
              ttl: 30s
              namespace: users
              invalidated_by: [/api/users, /api/admin/users]
              per_user: false
        """
        let config = try ConfigLoader.parse(yaml: yaml, file: "proxy.conf")

        var server = ServerConfig()
        server.listen = ListenAddress(host: "::", port: 8081)
        server.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        server.adminTokenEnv = "ADMIN_TOKEN"
        server.trustedProxies = ["10.0.0.0/8", "fd00::/8", "192.168.1.1/32"].compactMap(IPNetwork.init(parsing:))
        server.clientIPHeader = .forwarded
        server.threads = 4
        server.drainTimeout = .seconds(90)
        server.readHeaderTimeout = .seconds(5)
        server.idleTimeout = .seconds(120)
        server.minBodyRate = 2048
        server.maxHeaderBytes = 64 * 1024
        server.maxBodyBytes = 1_000_000
        server.maxConnections = 1000
        server.accessLog = .file(path: "/var/log/gatehouse.log")

        var upstream = UpstreamConfig(servers: [
            UpstreamServerAddress(host: "127.0.0.1", port: 3000),
            UpstreamServerAddress(host: "::1", port: 3001),
            UpstreamServerAddress(host: "api.internal", port: 80),
        ])
        upstream.connectTimeout = .milliseconds(500)
        upstream.responseTimeout = .seconds(10)
        upstream.maxIdleConnections = 8
        upstream.keepaliveTimeout = .seconds(10)
        upstream.resolveInterval = .seconds(5)

        var redis = RedisConfig()
        redis.url = RedisEndpoint(transport: .tcp(host: "redis.internal", port: 6380), database: 2, password: "p@ss")
        redis.poolSize = 16
        redis.timeout = .seconds(1)
        redis.keyPrefix = "gh:"

        var identity = IdentityConfig()
        identity.apiKeyHeader = "X-Key"
        identity.userHeader = nil
        var jwt = JWTConfig(publicKeyFile: "/etc/gatehouse/jwt.pem")
        jwt.claim = "email"
        jwt.leeway = .zero
        jwt.issuer = "https://auth.example.com"
        jwt.audiences = ["orders-api", "gatehouse"]
        identity.jwt = jwt

        var rateLimits = RateLimitsConfig()
        rateLimits.store = .redis
        rateLimits.onStoreError = .deny
        rateLimits.maxTrackedKeys = 5000
        var perIP = RateLimitPolicyConfig(name: "per-ip", key: .ip, limit: 100, window: .seconds(60))
        perIP.ipv6Prefix = 48
        var perUser = RateLimitPolicyConfig(name: "per-user", key: .user, limit: 1000, window: .seconds(3600))
        perUser.match = RequestMatch(pathPrefix: "/api/", methods: ["GET", "POST"])
        let tenant = RateLimitPolicyConfig(name: "tenant", key: .header("X-Tenant"), limit: 5, window: .seconds(1))
        rateLimits.policies = [perIP, perUser, tenant]

        var cache = CacheConfig()
        cache.store = .redis
        cache.version = "2"
        cache.memoryBudget = 64 * 1024 * 1024
        cache.maxObjectSize = 2 * 1024 * 1024
        cache.defaultTTL = .seconds(5)
        cache.staleWhileRevalidate = .zero
        cache.staleIfError = .seconds(3600)
        var me = CacheRuleConfig(pathPrefix: "/api/users/me")
        me.perUser = true
        var users = CacheRuleConfig(pathPrefix: "/api/users")
        users.ttl = .seconds(30)
        users.namespace = "users"
        users.invalidatedBy = ["/api/users", "/api/admin/users"]
        cache.rules = [me, users]

        #expect(config.server == server)
        #expect(config.upstream == upstream)
        #expect(config.redis == redis)
        #expect(config.identity == identity)
        #expect(config.rateLimits == rateLimits)
        #expect(config.cache == cache)
    }

    @Test(arguments: [
        ("off", AccessLogDestination.off),
        ("stdout", .stdout),
        ("\"off\"", .off),
        ("logs/access.log", .file(path: "logs/access.log")),
    ])
    func accessLogTakesWordsAsWritten(_ written: String, _ expected: AccessLogDestination) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nserver: {access_log: \(written)}"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").server.accessLog == expected)
    }

    /// Field names are case-insensitive, so `X-Forwarded-For` as nginx's real_ip_header spells it
    /// is as good as the lower-case word.
    @Test(arguments: [
        ("auto", ClientIPHeader.auto),
        ("forwarded", .forwarded),
        ("Forwarded", .forwarded),
        ("x-forwarded-for", .xForwardedFor),
        ("X-Forwarded-For", .xForwardedFor),
        ("\"X-FORWARDED-FOR\"", .xForwardedFor),
    ])
    func clientIPHeaderNamesAFieldInAnyCase(_ written: String, _ expected: ClientIPHeader) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nserver: {client_ip_header: \(written)}"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").server.clientIPHeader == expected)
    }

    /// 0 turns Gatehouse's own age limit on idle upstream connections off; left out, it is 4 s,
    /// below the 5 s after which Node.js and Apache close idle connections.
    @Test(arguments: [
        (String?("250ms"), Duration.milliseconds(250)), ("0", .zero), ("0s", .zero), ("1m", .seconds(60)), (nil, .seconds(4)),
    ])
    func keepaliveTimeoutIsADurationAndZeroMeansNoLimit(_ written: String?, _ expected: Duration) throws {
        let key = written.map { "\n  keepalive_timeout: \($0)" } ?? ""
        let yaml = "upstream:\n  servers: [\"http://127.0.0.1:3000\"]" + key
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").upstream.keepaliveTimeout == expected)
    }

    @Test(arguments: [
        (String?("100ms"), Duration.milliseconds(100)), ("5s", .seconds(5)), ("0", .zero), ("0s", .zero), (nil, .seconds(30)),
    ])
    func resolveIntervalIsADurationAndZeroMeansOnlyAtStartAndReload(_ written: String?, _ expected: Duration) throws {
        let key = written.map { "\n  resolve_interval: \($0)" } ?? ""
        let yaml = "upstream:\n  servers: [\"http://127.0.0.1:3000\"]" + key
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").upstream.resolveInterval == expected)
    }

    @Test(arguments: ["\"\"", "~", "", "null"])
    func emptyAdminTokenEnvMeansNone(_ written: String) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nserver:\n  admin_token_env: \(written)"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").server.adminTokenEnv == nil)
    }

    @Test func identityFeaturesCanBeTurnedOff() throws {
        let yaml = """
        \(ConfigTestSupport.upstreamLine)
        identity:
          api_key_header: off
          user_header: ~
          jwt: off
        """
        let identity = try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").identity
        #expect(identity.apiKeyHeader == nil)
        #expect(identity.userHeader == nil)
        #expect(identity.jwt == nil)
    }

    @Test func jwtWithASecretTakesItsDefaults() throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nidentity: {jwt: {secret_env: GATEHOUSE_JWT_SECRET}}"
        let jwt = try #require(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").identity.jwt)
        #expect(jwt.secretEnv == "GATEHOUSE_JWT_SECRET")
        #expect(jwt.publicKeyFile == nil)
        #expect(jwt.claim == "sub")
        #expect(jwt.leeway == .seconds(30))
        #expect(jwt.issuer == nil)
        #expect(jwt.audiences.isEmpty)
    }

    /// One audience may be written alone, several as a list; words stay words (`off` is an
    /// audience called off, not YAML 1.1's false).
    @Test(arguments: [
        ("gatehouse", ["gatehouse"]),
        ("off", ["off"]),
        ("\"123\"", ["123"]),
        ("[gatehouse]", ["gatehouse"]),
        ("[orders-api, \"https://api.example.com\"]", ["orders-api", "https://api.example.com"]),
    ])
    func jwtAudienceIsOneOrAList(_ written: String, _ expected: [String]) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nidentity: {jwt: {secret_env: S, issuer: auth, audience: \(written)}}"
        let jwt = try #require(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").identity.jwt)
        #expect(jwt.audiences == expected)
        #expect(jwt.issuer == "auth")
    }

    @Test(arguments: [("true", true), ("yes", true), ("on", true), ("False", false), ("no", false), ("off", false)])
    func perUserTakesYAMLBooleanWords(_ written: String, _ expected: Bool) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\ncache: {rules: [{path_prefix: /a, per_user: \(written)}]}"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").cache.rules.first?.perUser == expected)
    }

    @Test func threadsAutoMeansOnePerCore() throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nserver: {threads: auto}"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").server.threads == nil)
    }

    @Test(arguments: [
        ("redis://127.0.0.1", RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: 6379), database: 0, password: nil)),
        ("redis://[::1]:7000/3", RedisEndpoint(transport: .tcp(host: "::1", port: 7000), database: 3, password: nil)),
        ("redis://:secret@cache:6379/", RedisEndpoint(transport: .tcp(host: "cache", port: 6379), database: 0, password: "secret")),
        ("unix:///run/redis.sock", RedisEndpoint(transport: .unix(path: "/run/redis.sock"), database: 0, password: nil)),
        ("unix:///run/redis.sock?db=5", RedisEndpoint(transport: .unix(path: "/run/redis.sock"), database: 5, password: nil)),
    ])
    func redisURLs(_ url: String, _ expected: RedisEndpoint) throws {
        let yaml = "\(ConfigTestSupport.upstreamLine)\nredis: {url: \"\(url)\"}"
        #expect(try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").redis.url == expected)
    }

    @Test func summaryNamesListenersUpstreamsLimitsAndCache() throws {
        let yaml = """
        upstream: {servers: ["http://127.0.0.1:3000", "http://127.0.0.1:3001"]}
        rate_limits:
          policies: [{name: per-ip, key: ip, limit: 100, window: 1m}]
        cache:
          rules: [{path_prefix: /api/users}]
        """
        let summary = try ConfigLoader.parse(yaml: yaml, file: "proxy.conf").summary
        #expect(summary == """
        listen 0.0.0.0:8080, admin 127.0.0.1:9901
        upstream: 2 servers (http://127.0.0.1:3000, http://127.0.0.1:3001)
        1 rate-limit policy (per-ip), store memory
        cache: memory, budget 256MiB, 1 rule
        """)
    }

    @Test func loadsAFileFromDisk() throws {
        let config = try ConfigLoader.load(path: ConfigLoaderTests.examplePath)
        #expect(config.upstream.servers == [UpstreamServerAddress(host: "127.0.0.1", port: 3000)])
    }

    @Test func theExampleFileHasNoIssues() throws {
        let config = try ConfigLoader.load(path: ConfigLoaderTests.examplePath)
        #expect(config.rateLimits.policies.map(\.name) == ["per-ip"])
        #expect(config.rateLimits.policies.first?.limit == 100)
        #expect(config.rateLimits.policies.first?.window == .seconds(60))
        #expect(config.cache.rules.first?.pathPrefix == "/api/users")
        #expect(config.cache.rules.first?.namespace == "users")
        #expect(config.cache.rules.first?.invalidatedBy == ["/api/users"])
        // Every default written in the example is the model's default.
        var defaults = config
        defaults.rateLimits.policies = []
        defaults.cache.rules = []
        #expect(defaults == GatehouseConfig(upstream: UpstreamConfig(servers: [UpstreamServerAddress(host: "127.0.0.1", port: 3000)])))
    }

    @Test func aMissingFileIsOneIssue() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/proxy.conf") }
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/proxy.conf")
        } catch {
            #expect(error.issues.map(\.description) == ["/nonexistent/proxy.conf: cannot open the file: No such file or directory"])
        }
    }

    /// Problems found after loading (a secret, a key file) are placed at their key's line, or at
    /// the nearest written key above a key left to its default; where keys were written never
    /// makes two configurations differ.
    @Test func keyLinesPlaceLaterProblemsAndAreNotPartOfTheConfig() throws {
        let yaml = """
        \(ConfigTestSupport.upstreamLine)
        identity:
          jwt:
            public_key_file: /etc/gatehouse/jwt.pem
        """
        let config = try ConfigLoader.parse(yaml: yaml, file: "proxy.conf")
        #expect(config.keyLines.line(of: "identity.jwt.public_key_file") == 4)
        #expect(config.keyLines.line(of: "identity.jwt.secret_env") == 3)
        #expect(config.keyLines.line(of: "upstream.servers[0]") == 1)
        #expect(config.keyLines.line(of: "server.access_log") == nil)
        let issue = UserIdentitySetupError(path: "identity.jwt.secret_env", message: "not set").configIssue(file: "p.conf", lines: config.keyLines)
        #expect(issue.description == "p.conf:3: identity.jwt.secret_env: not set")
        let reformatted = try ConfigLoader.parse(yaml: "\n\n" + yaml, file: "proxy.conf")
        #expect(reformatted.keyLines.line(of: "identity.jwt") == 5)
        #expect(reformatted == config)
    }

    /// proxy.conf.example at the package root, found from this file's place in Tests/GatehouseCoreTests.
    static var examplePath: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return (parts + ["proxy.conf.example"]).joined(separator: "/")
    }
}
