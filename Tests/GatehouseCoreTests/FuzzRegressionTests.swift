// FuzzRegressionTests: inputs found by the fuzzers (Fuzz/, scripts/fuzz) or seeded into them, replayed.

import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

/// Each case goes through the same functions as the fuzz target that found it, and checks what
/// that target checks: the config loader answers with a config or with one-line problems; the
/// request-head stages refuse or forward without trapping; the cache's parsers and entry
/// arithmetic stay in range. Inputs are kept as written here, not as files.
@Suite struct FuzzRegressionTests {
    // MARK: - Config loader (FuzzConfigLoader)

    /// The loader's answer to `yaml`, checked as FuzzConfigLoader checks it: every problem one line.
    static func issues(_ yaml: String) -> [ConfigIssue] {
        do {
            let config = try ConfigLoader.parse(yaml: yaml, file: "fuzz.conf")
            #expect(!config.summary.isEmpty)
            return []
        } catch {
            #expect(!error.issues.isEmpty)
            for issue in error.issues {
                let oneLine = !issue.description.contains { $0.isNewline }
                #expect(oneLine, "\(issue.description.debugDescription)")
                #expect(issue.line.map { $0 >= 1 } ?? true)
            }
            return error.issues
        }
    }

    /// Nine lists of nine aliases of the one before: `a8` stands for 9^9 (387 million) values.
    static let billionLaughs = (1...8).reduce(["a0: &a0 [x, x, x, x, x, x, x, x, x]"]) { lines, level in
        lines + ["a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]"]
    }.joined(separator: "\n")

    /// The seed corpus's example config is valid.
    @Test func exampleConfigIsValid() throws {
        let example = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("proxy.conf.example")
        let yaml = try String(contentsOf: example, encoding: .utf8)
        #expect(Self.issues(yaml).isEmpty)
    }

    /// Used as a mapping key, the bomb made Yams hash all 387 million values (the loader hung);
    /// it is refused at the first alias past the budget (line 6, `a5`), before Yams composes anything.
    @Test(.timeLimit(.minutes(1)))
    func aliasBombAsAKeyIsRefused() {
        let issues = Self.issues(Self.billionLaughs + "\n? *a8\n: 1\n")
        #expect(issues.map(\.description) == [
            "fuzz.conf:6: YAML aliases here expand to more than 100000 values; write the values out",
        ])
    }

    @Test(.timeLimit(.minutes(1)))
    func aliasBombAsAValueIsRefused() {
        let issues = Self.issues(Self.billionLaughs + "\nupstream: {servers: *a8}\n")
        #expect(issues.first?.message.hasPrefix("YAML aliases here expand to more than") == true)
    }

    /// 160 KB that made the reader build 20,000 rules of 20,000 prefixes each (out of memory).
    @Test(.timeLimit(.minutes(1)))
    func quadraticAliasesAreRefused() {
        let prefixes = "l: &l [" + Array(repeating: "/a", count: 20_000).joined(separator: ", ") + "]"
        let rule = "r: &r {path_prefix: /a, namespace: n, invalidated_by: *l}"
        let rules = "cache:\n  rules: [" + Array(repeating: "*r", count: 20_000).joined(separator: ", ") + "]"
        let issues = Self.issues([prefixes, rule, ConfigTestSupport.upstreamLine, rules].joined(separator: "\n"))
        #expect(issues.first?.line == 5)
        #expect(issues.first?.message.hasPrefix("YAML aliases here expand to more than") == true)
    }

    /// Aliases within the budget keep working (the config reader then reports what it reports).
    @Test func modestAliasesAreRead() {
        let yaml = """
            servers: &servers ["http://127.0.0.1:3000", "http://127.0.0.1:3001"]
            upstream: {servers: *servers}
            """
        #expect(Self.issues(yaml).map(\.description) == [#"fuzz.conf:1: servers: unknown key; did you mean "upstream.servers"?"#])
    }

    /// Inputs of the kinds the brief for the fuzzers named: deep nesting, huge numbers, NUL
    /// bytes, invalid UTF-8 (as the replacement characters a lossy decoding leaves), odd YAML.
    static let hostileConfigs: [(name: String, yaml: String)] = [
        ("deep flow nesting", String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)),
        ("deep block nesting", (0..<2_000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")),
        ("huge integer", ConfigTestSupport.upstreamLine + "\nserver: {max_connections: 99999999999999999999999999}"),
        ("most negative integer", ConfigTestSupport.upstreamLine + "\nrate_limits: {policies: [{name: a, key: ip, limit: -9223372036854775808, window: 1s}]}"),
        ("huge size", ConfigTestSupport.upstreamLine + "\nserver: {max_body_bytes: 99999999999999999999GiB}"),
        ("huge duration", ConfigTestSupport.upstreamLine + "\nserver: {idle_timeout: 9999999999999999999h}"),
        ("huge fraction", ConfigTestSupport.upstreamLine + "\nserver: {drain_timeout: 1.99999999999999999999999999999h}"),
        ("huge port", #"upstream: {servers: ["http://h:99999999999999999999"]}"#),
        ("NUL in a value", "upstream: {servers: [\"http://h\u{0}\"]}"),
        ("NUL alone", "\u{0}"),
        ("replacement characters", String(decoding: [0xFF, 0xFE, 0x3A, 0x20, 0xC3], as: UTF8.self)),
        ("line breaks in a key", "\"a\\nb\\rc\\u2028\": 1\n" + ConfigTestSupport.upstreamLine),
        ("many duplicate keys", (0..<250).map { _ in "server: {}" }.joined(separator: "\n")),
        ("second document", ConfigTestSupport.upstreamLine + "\n---\n" + ConfigTestSupport.upstreamLine),
        ("merge key", ConfigTestSupport.upstreamLine + "\nserver: {<<: {listen: \"0.0.0.0:1\"}}"),
        ("tags", ConfigTestSupport.upstreamLine + "\nserver: !!map {threads: !!int 4, listen: !custom x}"),
        ("empty", ""),
    ]

    /// Named by their names only: some inputs are megabytes, too long for the test log.
    @Test(arguments: hostileConfigs.map(\.name))
    func hostileConfigsAreAnswered(_ name: String) throws {
        let yaml = try #require(Self.hostileConfigs.first { $0.name == name }?.yaml)
        // A config or problems, each one line: nothing traps, nothing hangs.
        _ = Self.issues(yaml)
    }

    /// A key with line breaks was printed raw in its issue's path: one problem read as three
    /// lines (FuzzConfigLoader). The path now quotes such a key.
    @Test func keyWithLineBreaksStaysOnOneLine() {
        let issues = Self.issues("\"a\\nb\\u2028\": 1\n" + ConfigTestSupport.upstreamLine)
        #expect(issues.map(\.description) == [
            #"fuzz.conf:1: "a\nb\u{2028}": unknown key; expected one of server, upstream, redis, identity, rate_limits, cache"#,
        ])
    }

    /// `gatehouse check` reads bytes: a file that is not UTF-8 is one problem, not a crash.
    @Test func invalidUTF8FileIsOneProblem() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).conf").path
        try Data([0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x3A, 0x20, 0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
        do {
            _ = try ConfigLoader.load(path: path)
        } catch {
            #expect(error.issues.map(\.message) == ["the file is not UTF-8 text"])
        }
    }

    // MARK: - Request heads (FuzzRequestHead)

    /// A head as NIO's decoder hands it over.
    static func head(_ method: HTTPMethod, _ uri: String, version: HTTPVersion = .http1_1, _ fields: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
    }

    /// Every request-head stage the proxy runs before forwarding, from a trusted and an untrusted
    /// peer; returns the upstream head when the request would be forwarded (from the untrusted one).
    static func forward(_ head: HTTPRequestHead) -> HTTPRequestHead? {
        if let problem = RequestHeadValidator.problem(with: head) {
            #expect((400..<500).contains(problem.status))
            return nil
        }
        guard case .success(let framing) = RequestBodyFraming.of(head, maxBodyBytes: 1024 * 1024) else { return nil }
        let resolver = ClientIPResolver(trustedProxies: ["127.0.0.1/32", "fd00::/8"].compactMap(IPNetwork.init(parsing:)))
        var upstream: HTTPRequestHead?
        for (peer, trusted) in [("127.0.0.1", true), ("203.0.113.9", false)] {
            guard let address = IPAddress(parsing: peer) else { continue }
            let client = resolver.clientIP(peer: address, headers: head.headers)
            if !trusted {
                #expect(client == address)
            }
            _ = ForwardedHeader.forNodes(in: head.headers)
            _ = RateLimitRequest(head: head, clientIP: client, user: nil)
            let context = ForwardingContext(peerAddress: peer, peerIsTrusted: trusted, requestID: "fuzz")
            upstream = RequestHeadRewriter.upstreamHead(for: head, framing: framing, context: context)
        }
        return upstream
    }

    static let hostileHeads: [HTTPRequestHead] = [
        head(.GET, "/api/users?per_page=3", [("Host", "example.test")]),
        head(.GET, "http://Example.Test:80/api/users/1?x=1#frag", [("Host", "other")]),
        head(.OPTIONS, "*", [("Host", "h")]),
        head(.GET, "/old", version: .http1_0, [("Connection", "keep-alive")]),
        head(.POST, "/", [("Host", "t"), ("Content-Length", "1"), ("Transfer-Encoding", "chunked")]),
        head(.GET, "/", [("Host", "h"), ("X-Forwarded-For", "1.1.1.1, [2001:db8::1]:443, unknown, , ::ffff:10.0.0.1")]),
        head(.GET, "/", [("Host", "h"), ("Forwarded", #"for="[2001:db8:cafe::17]:4711";proto=http, for=unknown;by="\"#)]),
        head(.GET, "/", [("Host", "h"), ("Forwarded", #"for=""#)]),
        head(.GET, "/", [("Host", "h"), ("X-Forwarded-For", String(repeating: "[", count: 100) + "::1]")]),
        head(.GET, "http://", [("Host", "h")]),
        head(.GET, "https:///x", [("Host", "h")]),
        head(.RAW(value: "PURGE"), "/x", [("Host", "h")]),
        head(.PUT, "/x", [("Host", "h"), ("Content-Length", "99999999999999999999999")]),
        head(.PUT, "/x", [("Host", "h"), ("Content-Length", "-0")]),
    ]

    @Test(arguments: hostileHeads)
    func hostileHeadsAreRefusedOrForwarded(head: HTTPRequestHead) {
        guard let upstream = Self.forward(head) else { return }
        #expect(upstream.uri == "*" || upstream.uri.hasPrefix("/"))
        #expect(upstream.headers["x-forwarded-for"] == ["203.0.113.9"])
    }

    /// `TRACE` with a body: NIO's request encoder drops the framing of a TRACE but writes its
    /// body, which the origin then read as a second request that no check had seen (smuggling).
    /// Caught by FuzzRequestHead's upstream round trip; a TRACE with a body is now a 400.
    @Test(arguments: [
        [("Host", "t"), ("Content-Length", "35")],
        [("Host", "t"), ("Transfer-Encoding", "chunked")],
    ])
    func traceWithABodyIsRefused(fields: [(String, String)]) {
        let result = RequestBodyFraming.of(Self.head(.TRACE, "/", fields), maxBodyBytes: 1024)
        guard case .failure(let error) = result else {
            Issue.record("a TRACE with a body was framed as \(result)")
            return
        }
        #expect(error.status == 400)
        #expect(Self.forward(Self.head(.TRACE, "/", fields)) == nil)
    }

    @Test func traceWithoutABodyIsForwarded() {
        for fields in [[("Host", "t")], [("Host", "t"), ("Content-Length", "0")]] {
            let framing = try? RequestBodyFraming.of(Self.head(.TRACE, "/", fields), maxBodyBytes: 1024).get()
            #expect(framing == RequestBodyFraming.none)
        }
    }

    /// `Connection: host` made the rewriter drop Host as a hop-by-hop field: the origin got an
    /// HTTP/1.1 request without one. Caught by FuzzRequestHead (input `GET / HTTP/1.1\r\nHost:
    /// t\r\nConnection: host\r\n\r\n`).
    @Test(arguments: ["host", "Host, X-Other", "keep-alive, host"])
    func connectionOptionCannotRemoveHost(connection: String) throws {
        let upstream = try #require(Self.forward(Self.head(.GET, "/", [("Host", "t"), ("Connection", connection), ("X-Other", "x")])))
        #expect(upstream.headers["host"] == ["t"])
        #expect(upstream.headers["x-forwarded-host"] == ["t"])
        #expect(!upstream.headers.contains(name: "connection"))
    }

    // MARK: - Cache headers (FuzzCacheHeaders)

    @Test(arguments: [
        "max-age=99999999999999999999999, s-maxage=\"1", "max-age=\"\\", "=,=,\"", ",,,,", "no-cache=\"a,b\", private=x",
    ])
    func cacheControlStaysInRange(value: String) {
        let directives = CacheControl(parsing: value)
        for seconds in [directives.maxAge, directives.sMaxAge, directives.staleWhileRevalidate, directives.staleIfError] {
            #expect(seconds.map { (0...CacheControl.deltaSecondsLimit).contains($0) } ?? true)
        }
    }

    /// An entry as a Redis record may hold it: the decoder only requires the numbers not to be
    /// negative. `currentAge` added the initial age and the time since without a bound and
    /// trapped (FuzzCacheHeaders, input with initial age 0x7FFF_FFFF_FFFF_FFFF); `retention`
    /// likewise. Both saturate now.
    @Test(arguments: [Int64.max, Int64.max - 1, CacheControl.deltaSecondsLimit, 0])
    func storedEntryWithExtremeNumbers(value: Int64) throws {
        let entry = CacheEntry(
            status: .ok, headers: HTTPHeaders([("ETag", "\"a\"")]), body: ByteBuffer(string: "body"),
            responseTime: CacheTime(secondsSince1970: 1_750_000_000), initialAge: value,
            freshness: CacheFreshness(lifetime: value, staleWhileRevalidate: value, staleIfError: value),
            varyNames: []
        )
        let decoded = try #require(CacheEntry(serialized: entry.serialized()))
        #expect(decoded == entry)
        #expect(entry.freshness.retention >= 0)
        let policy = CachePolicy()
        for now in [Int64.min, 0, 1_750_000_000, 1_750_000_001, Int64.max] {
            let moment = CacheTime(secondsSince1970: now)
            let age = decoded.currentAge(at: moment)
            #expect((0...CacheControl.deltaSecondsLimit).contains(age))
            _ = decoded.ttl(at: moment)
            _ = policy.state(of: decoded, for: nil, now: moment)
            #expect(decoded.responseHeaders(at: moment)["age"] == [String(age)])
        }
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sat, 31 Dec 9999 23:59:60 GMT", "Mon, 01 Jan 0000 00:00:00 GMT", "Tue, 29 Feb 2100 00:00:00 GMT", "x,", ",",
    ])
    func httpDatesReadBackAsThemselves(text: String) {
        let now = CacheTime(secondsSince1970: 1_750_000_000)
        guard let time = HTTPDate.parse(text, now: now) else { return }
        let formatted = HTTPDate.format(time)
        // A leap second on the last day of 9999 parses into year 10000, which no HTTP date can
        // spell (FuzzCacheHeaders): harmless, the time itself is right; only 4-digit years read back.
        guard formatted.utf8.count == 29 else { return }
        #expect(HTTPDate.parse(formatted, now: now) == time)
    }
}
