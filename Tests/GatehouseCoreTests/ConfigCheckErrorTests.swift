// ConfigCheckErrorTests: every kind of check `gatehouse check` makes, as the exact line it prints.

import Testing
@testable import GatehouseCore

/// One file and the issues it must produce, in order.
struct ConfigErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var expected: [String]

    /// `lines` follow the upstream line, so the first of them is line 2.
    init(_ name: String, _ lines: [String], _ expected: [String]) {
        self.name = name
        self.yaml = ([ConfigTestSupport.upstreamLine] + lines).joined(separator: "\n")
        self.expected = expected
    }

    /// A file written whole, for cases about the upstream section itself.
    init(_ name: String, whole: String, _ expected: [String]) {
        self.name = name
        self.yaml = whole
        self.expected = expected
    }

    var testDescription: String { name }
}

@Suite struct ConfigCheckErrorTests {
    static let serverCases: [ConfigErrorCase] = [
        .init("duration without unit", ["server:", "  idle_timeout: 60"],
              [#"proxy.conf:3: server.idle_timeout: "60" needs a unit (ms, s, m, h), e.g. "60s""#]),
        .init("duration with unknown unit", ["server:", "  drain_timeout: 30sec"],
              [#"proxy.conf:3: server.drain_timeout: "30sec" has an unknown unit "sec"; use ms, s, m or h"#]),
        // Every duration is at most a leap year, so nothing adding or doubling one can overflow.
        .init("timeout over a year", ["server:", "  idle_timeout: 8785h"],
              ["proxy.conf:3: server.idle_timeout: must be at most 8784h, got 8785h"]),
        .init("timeout near the parser's limit", ["server:", "  read_header_timeout: 2562047h"],
              ["proxy.conf:3: server.read_header_timeout: must be at most 8784h, got 2562047h"]),
        .init("zero timeout", ["server:", "  read_header_timeout: 0s"],
              ["proxy.conf:3: server.read_header_timeout: must be more than 0s"]),
        .init("duration that is a map", ["server:", "  idle_timeout: {s: 1}"],
              [#"proxy.conf:3: server.idle_timeout: expected a duration such as "30s", got a map"#]),
        .init("rate without per second", ["server:", "  min_body_rate: 500B"],
              [#"proxy.conf:3: server.min_body_rate: "500B" is not a rate; write a size per second, e.g. "500B/s" or "1KiB/s""#]),
        .init("rate without unit", ["server:", "  min_body_rate: 500/s"],
              [#"proxy.conf:3: server.min_body_rate: "500/s" is not a rate; write a size per second, e.g. "500B/s" or "1KiB/s""#]),
        .init("size without unit", ["server:", "  max_body_bytes: 1024"],
              [#"proxy.conf:3: server.max_body_bytes: "1024" needs a unit (B, KiB, MiB, GiB), e.g. "1KiB""#]),
        .init("header limit too large", ["server:", "  max_header_bytes: 2MiB"],
              ["proxy.conf:3: server.max_header_bytes: must be between 1KiB and 1MiB, got 2MiB"]),
        .init("header limit too small", ["server:", "  max_header_bytes: 512B"],
              ["proxy.conf:3: server.max_header_bytes: must be between 1KiB and 1MiB, got 512B"]),
        .init("no connections", ["server:", "  max_connections: 0"],
              ["proxy.conf:3: server.max_connections: must be at least 1, got 0"]),
        .init("connections not a number", ["server:", "  max_connections: lots"],
              [#"proxy.conf:3: server.max_connections: expected a whole number, got "lots""#]),
        .init("zero threads", ["server:", "  threads: 0"],
              ["proxy.conf:3: server.threads: must be between 1 and 1024, got 0"]),
        .init("threads word", ["server:", "  threads: many"],
              [#"proxy.conf:3: server.threads: expected auto or a number of threads (1 to 1024), got "many""#]),
        .init("listen port out of range", ["server:", #"  listen: "0.0.0.0:70000""#],
              [#"proxy.conf:3: server.listen: "0.0.0.0:70000" has port 70000; ports go from 0 to 65535"#]),
        .init("listen without port", ["server:", "  listen: localhost"],
              [#"proxy.conf:3: server.listen: "localhost" needs a port, e.g. "0.0.0.0:8080""#]),
        .init("listen IPv6 without brackets", ["server:", #"  listen: "::1:8080""#],
              [#"proxy.conf:3: server.listen: "::1:8080": write IPv6 addresses in brackets, e.g. "[::1]:8080""#]),
        .init("listen bad host", ["server:", #"  listen: "exa mple:80""#],
              [#"proxy.conf:3: server.listen: "exa mple:80" has an invalid host "exa mple""#]),
        .init("admin on the public listener", ["server:", "  listen: 127.0.0.1:9000", "  admin_listen: 127.0.0.1:9000"],
              ["proxy.conf:4: server.admin_listen: must differ from server.listen (127.0.0.1:9000); the admin endpoints are never served on the public listener"]),
        .init("admin under the wildcard listener", ["server:", "  admin_listen: 127.0.0.1:8080"],
              ["proxy.conf:3: server.admin_listen: must differ from server.listen (0.0.0.0:8080); the admin endpoints are never served on the public listener"]),
        .init("listen on the admin port", ["server:", "  listen: 127.0.0.1:9901"],
              ["proxy.conf:3: server.listen: must differ from server.admin_listen (127.0.0.1:9901); the admin endpoints are never served on the public listener"]),
        .init("access log with nothing", ["server:", "  access_log:"],
              ["proxy.conf:3: server.access_log: expected stdout, off or a file path, got nothing"]),
        .init("bad trusted proxies", ["server:", "  trusted_proxies:", "    - 10.0.0.0/33", "    - 127.0.0.1", "    - proxy.local"],
              [#"proxy.conf:4: server.trusted_proxies[0]: "10.0.0.0/33" is not a CIDR block or an IP address, e.g. "10.0.0.0/8" or "::1""#,
               #"proxy.conf:6: server.trusted_proxies[2]: "proxy.local" is not a CIDR block or an IP address, e.g. "10.0.0.0/8" or "::1""#]),
        .init("trusted proxies not a list", ["server:", "  trusted_proxies: 10.0.0.0/8"],
              [#"proxy.conf:3: server.trusted_proxies: expected a list, got "10.0.0.0/8""#]),
        .init("client ip header unknown", ["server:", "  client_ip_header: X-Real-IP"],
              [#"proxy.conf:3: server.client_ip_header: expected auto, x-forwarded-for or forwarded, got "X-Real-IP""#]),
        .init("client ip header misspelt", ["server:", "  client_ip_header: X-Forwarded-Fro"],
              [#"proxy.conf:3: server.client_ip_header: expected auto, x-forwarded-for or forwarded, got "X-Forwarded-Fro"; did you mean "x-forwarded-for"?"#]),
        .init("client ip header a list", ["server:", "  client_ip_header: [forwarded, x-forwarded-for]"],
              ["proxy.conf:3: server.client_ip_header: expected auto, x-forwarded-for or forwarded, got a list"]),
        .init("client ip header empty", ["server:", "  client_ip_header:"],
              ["proxy.conf:3: server.client_ip_header: expected auto, x-forwarded-for or forwarded, got nothing"]),
        // nginx's name for it points to Gatehouse's.
        .init("nginx real_ip_header", ["server:", "  real_ip_header: X-Forwarded-For"],
              [#"proxy.conf:3: server.real_ip_header: unknown key; did you mean "client_ip_header"?"#]),
        .init("admin token env not a name", ["server:", #"  admin_token_env: "MY TOKEN""#],
              [#"proxy.conf:3: server.admin_token_env: "MY TOKEN" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"#]),
    ]

    static let upstreamCases: [ConfigErrorCase] = [
        .init("no upstream section", whole: "server: {}",
              [#"proxy.conf: upstream.servers: is required; list at least one origin, e.g. servers: ["http://127.0.0.1:3000"]"#]),
        .init("empty file", whole: "",
              [#"proxy.conf: upstream.servers: is required; list at least one origin, e.g. servers: ["http://127.0.0.1:3000"]"#]),
        .init("upstream without servers", whole: "upstream:\n  connect_timeout: 1s",
              [#"proxy.conf:1: upstream.servers: is required; list at least one origin, e.g. servers: ["http://127.0.0.1:3000"]"#]),
        .init("no servers", whole: "upstream:\n  servers: []",
              [#"proxy.conf:2: upstream.servers: needs at least one server, e.g. ["http://127.0.0.1:3000"]"#]),
        .init("https upstream", whole: "upstream:\n  servers:\n    - https://api.example.com",
              [#"proxy.conf:3: upstream.servers[0]: https upstreams are not supported: "https://api.example.com""#]),
        .init("upstream with a path", whole: "upstream:\n  servers: [http://127.0.0.1:3000/api]",
              [#"proxy.conf:2: upstream.servers[0]: "http://127.0.0.1:3000/api" has a path, query or fragment; an upstream server is only http://host:port"#]),
        .init("upstream without scheme", whole: "upstream:\n  servers: [127.0.0.1:3000]",
              [#"proxy.conf:2: upstream.servers[0]: "127.0.0.1:3000" needs a scheme, e.g. "http://127.0.0.1:3000""#]),
        .init("upstream port 0", whole: "upstream:\n  servers: [\"http://127.0.0.1:0\"]",
              [#"proxy.conf:2: upstream.servers[0]: "http://127.0.0.1:0" has port 0; ports go from 1 to 65535"#]),
        .init("upstream listed twice", whole: "upstream:\n  servers:\n    - http://localhost:3000\n    - http://localhost:3000/",
              ["proxy.conf:4: upstream.servers[1]: http://localhost:3000 is already listed as upstream.servers[0]"]),
        .init("upstream not a map", whole: "upstream: [http://127.0.0.1:3000]",
              ["proxy.conf:1: upstream: expected a map, got a list"]),
        .init("negative timeout", whole: "upstream:\n  servers: [\"http://a:1\"]\n  connect_timeout: -1s",
              [#"proxy.conf:3: upstream.connect_timeout: "-1s" must not be negative"#]),
        .init("negative keepalive timeout", whole: "upstream:\n  servers: [\"http://a:1\"]\n  keepalive_timeout: -4s",
              [#"proxy.conf:3: upstream.keepalive_timeout: "-4s" must not be negative"#]),
        .init("keepalive timeout without a unit", whole: "upstream:\n  servers: [\"http://a:1\"]\n  keepalive_timeout: 4",
              [#"proxy.conf:3: upstream.keepalive_timeout: "4" needs a unit (ms, s, m, h), e.g. "4s""#]),
        .init("resolve interval too short", whole: "upstream:\n  servers: [\"http://a:1\"]\n  resolve_interval: 10ms",
              ["proxy.conf:3: upstream.resolve_interval: must be 0s (resolve only at start and reload) or at least 100ms, got 10ms"]),
        .init("resolve interval without a unit", whole: "upstream:\n  servers: [\"http://a:1\"]\n  resolve_interval: 30",
              [#"proxy.conf:3: upstream.resolve_interval: "30" needs a unit (ms, s, m, h), e.g. "30s""#]),
        .init("keepalive timeout misspelt", whole: "upstream:\n  servers: [\"http://a:1\"]\n  keepalive: 4s",
              ["proxy.conf:3: upstream.keepalive: unknown key; expected one of servers, connect_timeout, response_timeout, max_idle_connections, keepalive_timeout, resolve_interval"]),
    ]

    static let redisCases: [ConfigErrorCase] = [
        .init("redis port out of range", ["redis:", #"  url: "redis://localhost:99999""#],
              [#"proxy.conf:3: redis.url: "redis://localhost:99999" has port 99999; ports go from 1 to 65535"#]),
        .init("redis over TLS", ["redis:", #"  url: "rediss://cache:6379""#],
              [#"proxy.conf:3: redis.url: TLS (rediss://) is not supported: "rediss://cache:6379""#]),
        .init("redis user name", ["redis:", #"  url: "redis://admin:pw@cache""#],
              [#"proxy.conf:3: redis.url: "redis://***@cache": Redis user names are not supported; write the password after a colon, e.g. "redis://:secret@127.0.0.1:6379""#]),
        .init("redis password never shown", ["redis:", #"  url: "redis://:hunter2@cache:99999""#],
              [#"proxy.conf:3: redis.url: "redis://:***@cache:99999" has port 99999; ports go from 1 to 65535"#]),
        .init("redis password with unencoded / and # never shown", ["redis:", #"  url: "redis://:s3/cr#t@cache:99999/0""#],
              [#"proxy.conf:3: redis.url: "redis://:***@cache:99999/0" has port 99999; ports go from 1 to 65535"#]),
        .init("redis key prefix with a hash tag", ["redis:", #"  key_prefix: "gw{1}:""#],
              [#"proxy.conf:3: redis.key_prefix: "gw{1}:" must not contain "{" or "}" (Redis Cluster reads them as a hash tag)"#]),
        .init("redis key prefix starting with #", ["redis:", ##"  key_prefix: "#gw:""##],
              [##"proxy.conf:3: redis.key_prefix: "#gw:" must not start with "#" (the cache's index marks its slot keys so)"##]),
        .init("redis bad db", ["redis:", #"  url: "redis://cache/zero""#],
              [#"proxy.conf:3: redis.url: "redis://cache/zero" has an invalid database number "zero""#]),
        .init("redis other scheme", ["redis:", #"  url: "cache:6379""#],
              [#"proxy.conf:3: redis.url: "cache:6379" must be redis://[:password@]host[:port][/db] or unix:///path[?db=N]"#]),
        .init("redis relative socket", ["redis:", #"  url: "unix://redis.sock""#],
              [#"proxy.conf:3: redis.url: "unix://redis.sock" needs an absolute socket path, e.g. "unix:///run/redis/redis.sock""#]),
        .init("redis pool too large", ["redis:", "  pool_size: 300"],
              ["proxy.conf:3: redis.pool_size: must be between 1 and 256, got 300"]),
        .init("redis zero timeout", ["redis:", "  timeout: 0ms"],
              ["proxy.conf:3: redis.timeout: must be more than 0s"]),
        // Store calls wait up to twice this before failing over; longer would hold requests for minutes.
        .init("redis timeout over a minute", ["redis:", "  timeout: 61s"],
              ["proxy.conf:3: redis.timeout: must be at most 1m, got 61s"]),
        .init("redis timeout huge", ["redis:", "  timeout: 2562047h"],
              ["proxy.conf:3: redis.timeout: must be at most 1m, got 2562047h"]),
    ]

    static let identityCases: [ConfigErrorCase] = [
        .init("jwt with both keys", ["identity:", "  jwt:", "    secret_env: SECRET", "    public_key_file: /k.pem"],
              ["proxy.conf:5: identity.jwt.public_key_file: use either secret_env (HMAC) or public_key_file (RSA/EC), not both"]),
        .init("jwt with no key", ["identity:", "  jwt:", "    claim: sub"],
              ["proxy.conf:3: identity.jwt: needs secret_env (HMAC secret) or public_key_file (RSA/EC public key); remove identity.jwt to turn JWTs off"]),
        .init("jwt secret env not a name", ["identity:", "  jwt: {secret_env: \"1SECRET\"}"],
              [#"proxy.conf:3: identity.jwt.secret_env: "1SECRET" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"#]),
        .init("jwt audience an empty list", ["identity:", "  jwt:", "    secret_env: S", "    audience: []"],
              ["proxy.conf:5: identity.jwt.audience: needs at least one audience; leave audience out to accept any"]),
        .init("jwt audience a map", ["identity:", "  jwt:", "    secret_env: S", "    audience: {api: 1}"],
              ["proxy.conf:5: identity.jwt.audience: expected an audience or a list of audiences, got a map"]),
        .init("jwt audience nothing", ["identity:", "  jwt:", "    secret_env: S", "    audience:"],
              ["proxy.conf:5: identity.jwt.audience: expected an audience or a list of audiences, got nothing"]),
        .init("jwt audience with an empty item", ["identity:", "  jwt:", "    secret_env: S", "    audience:", "      - api", #"      - """#],
              ["proxy.conf:7: identity.jwt.audience[1]: must not be empty"]),
        .init("jwt audience with a list item", ["identity:", "  jwt:", "    secret_env: S", "    audience: [api, [web]]"],
              ["proxy.conf:5: identity.jwt.audience[1]: expected an audience, got a list"]),
        .init("jwt issuer empty", ["identity:", "  jwt:", "    secret_env: S", #"    issuer: """#],
              ["proxy.conf:5: identity.jwt.issuer: must not be empty"]),
        .init("jwt issuer a list", ["identity:", "  jwt:", "    secret_env: S", "    issuer: [a, b]"],
              [#"proxy.conf:5: identity.jwt.issuer: expected an issuer such as "https://auth.example.com", got a list"#]),
        .init("jwt audience misspelt", ["identity:", "  jwt:", "    secret_env: S", "    audiences: [api]"],
              [#"proxy.conf:5: identity.jwt.audiences: unknown key; did you mean "audience"?"#]),
        .init("header name with spaces", ["identity:", #"  api_key_header: "X API Key""#],
              [#"proxy.conf:3: identity.api_key_header: "X API Key" is not a valid header name"#]),
        .init("one header for key and user", ["identity:", "  api_key_header: X-Id", "  user_header: x-id"],
              [#"proxy.conf:4: identity.user_header: "x-id" is also identity.api_key_header; one header cannot be both a key and a user name"#]),
    ]

    static let rateLimitCases: [ConfigErrorCase] = [
        .init("window over a year", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 8785h}"],
              ["proxy.conf:4: rate_limits.policies[0].window: must be at most 8784h, got 8785h"]),
        .init("store misspelt", ["rate_limits:", "  store: memroy"],
              [#"proxy.conf:3: rate_limits.store: expected memory or redis, got "memroy"; did you mean "memory"?"#]),
        .init("store error mode", ["rate_limits:", "  on_store_error: open"],
              [#"proxy.conf:3: rate_limits.on_store_error: expected allow or deny, got "open""#]),
        .init("no tracked keys", ["rate_limits:", "  max_tracked_keys: 0"],
              ["proxy.conf:3: rate_limits.max_tracked_keys: must be at least 1, got 0"]),
        .init("policy missing keys", ["rate_limits:", "  policies:", "    - name: a", "      key: ip"],
              ["proxy.conf:4: rate_limits.policies[0].limit: is required; the requests admitted per window, e.g. limit: 100",
               "proxy.conf:4: rate_limits.policies[0].window: is required; the window length, e.g. window: 1m"]),
        .init("policy bad name", ["rate_limits:", "  policies:", #"    - {name: "per ip", key: ip, limit: 1, window: 1s}"#],
              [#"proxy.conf:4: rate_limits.policies[0].name: "per ip" is not a valid policy name; use letters, digits, "_", "." and "-""#]),
        .init("policy names repeat", ["rate_limits:", "  policies:",
                                      "    - {name: a, key: ip, limit: 1, window: 1s}",
                                      "    - {name: a, key: user, limit: 1, window: 1s}"],
              [#"proxy.conf:5: rate_limits.policies[1].name: "a" is already the name of rate_limits.policies[0]; policy names must be unique"#]),
        .init("policy bad key", ["rate_limits:", "  policies:", "    - {name: a, key: cookie, limit: 1, window: 1s}"],
              [#"proxy.conf:4: rate_limits.policies[0].key: expected ip, user or header:NAME, got "cookie""#]),
        .init("policy bad header key", ["rate_limits:", "  policies:", #"    - {name: a, key: "header:", limit: 1, window: 1s}"#],
              [#"proxy.conf:4: rate_limits.policies[0].key: "header:" needs a valid header name after "header:", e.g. "header:X-Tenant""#]),
        .init("policy zero limit", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 0, window: 1s}"],
              ["proxy.conf:4: rate_limits.policies[0].limit: must be at least 1, got 0"]),
        .init("policy short window", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 500ms}"],
              ["proxy.conf:4: rate_limits.policies[0].window: must be at least 1s, got 500ms"]),
        .init("policy fractional window", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 1.5s}"],
              ["proxy.conf:4: rate_limits.policies[0].window: must be a whole number of seconds, got 1.5s"]),
        .init("policy window without unit", ["rate_limits:", "  policies:", "    - name: a", "      key: ip", "      limit: 1", "      window: 60"],
              [#"proxy.conf:7: rate_limits.policies[0].window: "60" needs a unit (ms, s, m, h), e.g. "60s""#]),
        .init("policy ipv6 prefix too long", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 1s, ipv6_prefix: 129}"],
              ["proxy.conf:4: rate_limits.policies[0].ipv6_prefix: must be between 1 and 128, got 129"]),
        .init("policy ipv6 prefix on a user key", ["rate_limits:", "  policies:", "    - {name: a, key: user, limit: 1, window: 1s, ipv6_prefix: 64}"],
              ["proxy.conf:4: rate_limits.policies[0].ipv6_prefix: only applies to key: ip"]),
        .init("policy match path", ["rate_limits:", "  policies:", "    - name: a", "      key: ip", "      limit: 1", "      window: 1s",
                                    "      match:", "        path_prefix: api/", "        methods: [get, POST]"],
              [#"proxy.conf:9: rate_limits.policies[0].match.path_prefix: "api/" must start with "/""#,
               #"proxy.conf:10: rate_limits.policies[0].match.methods[0]: "get" is not an upper-case HTTP method, e.g. "GET""#]),
        .init("policy match path not normal", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 1s, match: {path_prefix: //api/}}"],
              [#"proxy.conf:4: rate_limits.policies[0].match.path_prefix: "//api/" never matches: request paths are normalised before matching; write "/api/""#]),
        .init("policy no methods", ["rate_limits:", "  policies:", "    - {name: a, key: ip, limit: 1, window: 1s, match: {methods: []}}"],
              ["proxy.conf:4: rate_limits.policies[0].match.methods: needs at least one method; leave methods out to match every method"]),
        .init("policies not a list", ["rate_limits:", "  policies:", "    per-ip: {key: ip}"],
              ["proxy.conf:3: rate_limits.policies: expected a list, got a map"]),
        .init("user key with no way to identify users",
              ["identity: {api_key_header: off, user_header: off}", "rate_limits:", "  policies:", "    - {name: a, key: user, limit: 1, window: 1s}"],
              ["proxy.conf:5: rate_limits.policies[0].key: user never matches: no request can carry a user: identity.api_key_header and identity.user_header are off and identity.jwt is not set"]),
    ]

    static let cacheCases: [ConfigErrorCase] = [
        .init("ttl over a year", ["cache:", "  default_ttl: 9000h", "  stale_if_error: 8784h"],
              ["proxy.conf:3: cache.default_ttl: must be at most 8784h, got 9000h"]),
        .init("cache store", ["cache:", "  store: disk"],
              [#"proxy.conf:3: cache.store: expected memory, redis or off, got "disk""#]),
        .init("object larger than the budget", ["cache:", "  memory_budget: 1MiB", "  max_object_size: 2MiB"],
              ["proxy.conf:4: cache.max_object_size: max_object_size (2MiB) is larger than memory_budget (1MiB); no such object could be stored"]),
        .init("budget below the default object size", ["cache:", "  memory_budget: 512KiB"],
              ["proxy.conf:3: cache.memory_budget: max_object_size (1MiB) is larger than memory_budget (512KiB); no such object could be stored"]),
        .init("empty version", ["cache:", #"  version: """#],
              [#"proxy.conf:3: cache.version: must be a non-empty string without spaces, e.g. "1""#]),
        .init("rule without path", ["cache:", "  rules:", "    - ttl: 1s"],
              ["proxy.conf:4: cache.rules[0].path_prefix: is required; the request paths this rule covers, e.g. path_prefix: /api/users"]),
        .init("rule path without slash", ["cache:", "  rules:", "    - path_prefix: api"],
              [#"proxy.conf:4: cache.rules[0].path_prefix: "api" must start with "/""#]),
        .init("rule path not normal", ["cache:", "  rules:", "    - path_prefix: /%61pi/./users%2f"],
              [#"proxy.conf:4: cache.rules[0].path_prefix: "/%61pi/./users%2f" never matches: request paths are normalised before matching; write "/api/users/""#]),
        .init("rule negative ttl", ["cache:", "  rules:", "    - {path_prefix: /a, ttl: -1s}"],
              [#"proxy.conf:4: cache.rules[0].ttl: "-1s" must not be negative"#]),
        .init("rule bad namespace", ["cache:", "  rules:", #"    - {path_prefix: /a, namespace: "my users"}"#],
              [#"proxy.conf:4: cache.rules[0].namespace: "my users" is not a valid namespace name; use letters, digits, "_", "." and "-""#]),
        .init("invalidated_by without namespace", ["cache:", "  rules:", "    - path_prefix: /a", "      invalidated_by: [/a]"],
              ["proxy.conf:5: cache.rules[0].invalidated_by: invalidated_by needs a namespace: the rule's entries are dropped by bumping its namespace"]),
        .init("invalidated_by path", ["cache:", "  rules:", "    - path_prefix: /a", "      namespace: a", "      invalidated_by:", "        - a/b"],
              [#"proxy.conf:7: cache.rules[0].invalidated_by[0]: "a/b" must start with "/""#]),
        .init("invalidated_by path not normal", ["cache:", "  rules:", "    - path_prefix: /a", "      namespace: a", "      invalidated_by: [/a/x/../b]"],
              [#"proxy.conf:6: cache.rules[0].invalidated_by[0]: "/a/x/../b" never matches: request paths are normalised before matching; write "/a/b""#]),
        .init("per_user not a boolean", ["cache:", "  rules:", "    - {path_prefix: /a, per_user: maybe}"],
              [#"proxy.conf:4: cache.rules[0].per_user: expected true or false, got "maybe""#]),
        .init("rule that never applies", ["cache:", "  rules:", "    - path_prefix: /api", "    - path_prefix: /api/users"],
              [#"proxy.conf:5: cache.rules[1].path_prefix: never applies: cache.rules[0] ("/api") matches every path it does and comes first"#]),
        .init("per-user rule with no way to identify users",
              ["identity: {api_key_header: off, user_header: off}", "cache:", "  rules:", "    - {path_prefix: /a, per_user: true}"],
              ["proxy.conf:5: cache.rules[0].per_user: true needs users, but no request can carry a user: identity.api_key_header and identity.user_header are off and identity.jwt is not set"]),
    ]

    static let structureCases: [ConfigErrorCase] = [
        .init("unknown key with a suggestion", ["server:", "  idle_timout: 60s"],
              [#"proxy.conf:3: server.idle_timout: unknown key; did you mean "idle_timeout"?"#]),
        .init("unknown key without a suggestion", ["redis:", "  database: 1"],
              ["proxy.conf:3: redis.database: unknown key; expected one of url, pool_size, timeout, key_prefix"]),
        .init("section key at the top level", ["listen: 0.0.0.0:80"],
              [#"proxy.conf:2: listen: unknown key; did you mean "server.listen"?"#]),
        .init("misspelt section", ["cahce: {}"],
              [#"proxy.conf:2: cahce: unknown key; did you mean "cache"?"#]),
        .init("unknown section", ["caching: {}"],
              ["proxy.conf:2: caching: unknown key; expected one of server, upstream, redis, identity, rate_limits, cache"]),
        .init("duplicate key", ["server:", "  listen: 0.0.0.0:80", "  idle_timeout: 5s", "  listen: 0.0.0.0:81"],
              ["proxy.conf:5: server.listen: duplicate key (first set on line 3)"]),
        .init("duplicate section", ["cache: {store: memory}", "cache: {store: off}"],
              ["proxy.conf:3: cache: duplicate key (first set on line 2)"]),
        .init("duplicate quoted key in a flow map", [#"redis: {"timeout": 1s, timeout: 2s, timeout: 3s}"#],
              ["proxy.conf:2: redis.timeout: duplicate key (first set on line 2)",
               "proxy.conf:2: redis.timeout: duplicate key (first set on line 2)"]),
        .init("section of the wrong type", ["server: [listen]"],
              ["proxy.conf:2: server: expected a map, got a list"]),
        .init("section that is a word", ["cache: off"],
              [#"proxy.conf:2: cache: expected a map, got "off""#]),
        .init("list item of the wrong type", ["rate_limits:", "  policies:", "    - per-ip"],
              [#"proxy.conf:4: rate_limits.policies[0]: expected a map, got "per-ip""#]),
        .init("key that is a list", ["server:", "  [a, b]: 1"],
              ["proxy.conf:3: server: keys must be plain words, not a list"]),
        .init("list item after a map", ["- 1"],
              [#"proxy.conf:2: YAML syntax error: did not find expected key (while parsing a block mapping, from line 1)"#]),
        .init("root that is a list alone", whole: "- server\n- cache",
              ["proxy.conf:1: expected a map, got a list"]),
        .init("syntax error", ["server:", "  listen: 0.0.0.0:80", "   idle_timeout: 5s"],
              ["proxy.conf:4: YAML syntax error: mapping values are not allowed in this context"]),
        .init("unclosed flow", ["server: {listen: 0.0.0.0:80", "redis: {}"],
              ["proxy.conf:3: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping, from line 2)"]),
    ]

    @Test(arguments: serverCases) func server(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: upstreamCases) func upstream(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: redisCases) func redis(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: identityCases) func identity(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: rateLimitCases) func rateLimits(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: cacheCases) func cache(_ check: ConfigErrorCase) { expectIssues(check) }
    @Test(arguments: structureCases) func structure(_ check: ConfigErrorCase) { expectIssues(check) }

    private func expectIssues(_ check: ConfigErrorCase) {
        #expect(ConfigTestSupport.issues(check.yaml) == check.expected)
    }
}

@Suite struct ConfigManyIssuesTests {
    @Test func everyProblemInAFileIsReportedInLineOrder() {
        let yaml = """
        server:
          listen: "0.0.0.0:8080"
          idle_timout: 60s
          read_header_timeout: 10
          listen: "0.0.0.0:8081"
          access_log: off
        upstream:
          servers: ["https://api.example.com", "http://127.0.0.1:3000"]
        rate_limits:
          store: memory
          policies:
            - name: per-ip
              key: ip
              limit: 0
              window: 1m
            - name: per-ip
              key: user
              limit: 10
              window: 30
        cache:
          max_object_size: 1GiB
          rules:
            - path_prefix: /api/users
              invalidated_by: [/api/users]
        """
        #expect(ConfigTestSupport.issues(yaml) == [
            #"proxy.conf:3: server.idle_timout: unknown key; did you mean "idle_timeout"?"#,
            #"proxy.conf:4: server.read_header_timeout: "10" needs a unit (ms, s, m, h), e.g. "10s""#,
            "proxy.conf:5: server.listen: duplicate key (first set on line 2)",
            #"proxy.conf:8: upstream.servers[0]: https upstreams are not supported: "https://api.example.com""#,
            "proxy.conf:14: rate_limits.policies[0].limit: must be at least 1, got 0",
            #"proxy.conf:19: rate_limits.policies[1].window: "30" needs a unit (ms, s, m, h), e.g. "30s""#,
            "proxy.conf:21: cache.max_object_size: max_object_size (1GiB) is larger than memory_budget (256MiB); no such object could be stored",
            "proxy.conf:24: cache.rules[0].invalidated_by: invalidated_by needs a namespace: the rule's entries are dropped by bumping its namespace",
        ])
    }

    @Test func duplicatesAreFoundWithWindowsLineEndings() {
        let yaml = "\(ConfigTestSupport.upstreamLine)\r\nserver:\r\n  listen: 1.2.3.4:1\r\n  listen: 1.2.3.4:2\r\n  idle_timeout: 5\r\n"
        #expect(ConfigTestSupport.issues(yaml) == [
            "proxy.conf:4: server.listen: duplicate key (first set on line 3)",
            #"proxy.conf:5: server.idle_timeout: "5" needs a unit (ms, s, m, h), e.g. "5s""#,
        ])
    }

    @Test func issuesNameTheFileAsGiven() {
        let issues = ConfigTestSupport.issues("server: {threads: 0}", file: "/etc/gatehouse/proxy.conf")
        #expect(issues == [
            #"/etc/gatehouse/proxy.conf: upstream.servers: is required; list at least one origin, e.g. servers: ["http://127.0.0.1:3000"]"#,
            "/etc/gatehouse/proxy.conf:1: server.threads: must be between 1 and 1024, got 0",
        ])
    }

    /// A prefix already in normal form is accepted, also when it stops inside a segment that
    /// normalising a whole path would change (`/api/.` covers `/api/.well-known`).
    @Test(arguments: ["/", "/api/", "/api/.", "/api/..", "/api%3F", "/api%2", "/.well-known/", "/caf\u{E9}/"])
    func normalPrefixesAreAccepted(_ prefix: String) {
        let yaml = "\(ConfigTestSupport.upstreamLine)\ncache: {rules: [{path_prefix: \"\(prefix)\"}]}"
        #expect(ConfigTestSupport.issues(yaml) == [])
    }

    /// Odd but possible input must come back as issues, never as a crash.
    @Test(arguments: [
        "\u{1}",
        "---\n...\n---\n",
        "upstream: &u {servers: [\"http://a:1\"]}\ncache: *u",
        "<<: {server: {}}",
        "server: {listen: *nope}",
        "server:\n\tlisten: x",
        "1: a\n1: b\n1: c",
        "? [a, b]\n: c\n? [a, b]\n: d",
        "server: {a: 1, a: 2, b: 3, b: 4}",
        "upstream: {servers: [\"http://127.0.0.1:99999999999999999999\"]}",
        "server: {max_connections: 99999999999999999999999, max_body_bytes: 99999999999TiB}",
        "cache: {rules: [{path_prefix: /a}, {path_prefix: /a}, {path_prefix: /}]}",
        "redis: {url: \"redis://:%zz@h\"}",
        String(repeating: "[", count: 500),
        String(repeating: "a: a\n", count: 300),
    ])
    func oddInputIsReportedNotFatal(_ yaml: String) {
        #expect(!ConfigTestSupport.issues(yaml).isEmpty)
    }
}
