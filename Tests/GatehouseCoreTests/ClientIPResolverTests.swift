// ClientIPResolverTests: who the client is behind (un)trusted proxies, X-Forwarded-For and Forwarded.

import NIOCore
import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct ClientIPResolverTests {
    static let resolver = ClientIPResolver(trustedProxies: ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"].compactMap(IPNetwork.init(parsing:)))

    static func resolve(peer: String, _ headers: [(String, String)]) throws -> String {
        let address = try #require(IPAddress(parsing: peer))
        return resolver.clientIP(peer: address, headers: HTTPHeaders(headers)).description
    }

    @Test(arguments: [
        // Untrusted peer: headers are ignored, forged or not.
        ("203.0.113.5", [], "203.0.113.5"),
        ("203.0.113.5", [("X-Forwarded-For", "1.1.1.1")], "203.0.113.5"),
        ("203.0.113.5", [("Forwarded", "for=1.1.1.1")], "203.0.113.5"),
        // Trusted peer without forwarding headers is the client itself.
        ("127.0.0.1", [], "127.0.0.1"),
        // Trusted peer: the right-most untrusted hop.
        ("127.0.0.1", [("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, 198.51.100.7")], "198.51.100.7"),
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3")], "198.51.100.7"),
        // A client forging a trusted-looking hop gains nothing: it is right of nothing we trust.
        ("127.0.0.1", [("X-Forwarded-For", "10.9.9.9, 198.51.100.7")], "198.51.100.7"),
        // Every hop trusted: the left-most.
        ("127.0.0.1", [("X-Forwarded-For", "10.0.0.9, 10.0.0.8")], "10.0.0.9"),
        // Several field lines are one list, in order.
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.7, 10.0.0.1")], "198.51.100.7"),
        ("127.0.0.1", [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-For", "10.0.0.1")], "198.51.100.7"),
        // The walk stops at a hop that names no address: what lies left of it was written by
        // someone our proxies could not vouch for (nginx's realip stops there too), so the last
        // trusted hop, or the peer, is the client. Nothing usable leaves the peer.
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, not-an-ip, 10.0.0.1")], "10.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, unknown")], "127.0.0.1"),
        // Stray commas are no hop.
        ("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, 198.51.100.7, ,")], "198.51.100.7"),
        ("127.0.0.1", [("Forwarded", "for=6.6.6.6, for=198.51.100.7, ")], "198.51.100.7"),
        ("127.0.0.1", [("X-Forwarded-For", "garbage")], "127.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", "")], "127.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", " , ,,")], "127.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", "1.2.3.4.5, 999.1.1.1, ::g, [::1, fe80::1%eth0")], "127.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", String(repeating: "x", count: 5000) + ", 198.51.100.7")], "198.51.100.7"),
        // Ports and IPv6 forms proxies write.
        ("127.0.0.1", [("X-Forwarded-For", "198.51.100.7:51234")], "198.51.100.7"),
        ("127.0.0.1", [("X-Forwarded-For", "2001:db8::1")], "2001:db8::1"),
        ("127.0.0.1", [("X-Forwarded-For", "[2001:db8::1]:443")], "2001:db8::1"),
        ("127.0.0.1", [("X-Forwarded-For", "::ffff:198.51.100.7")], "198.51.100.7"),
        ("fd00::5", [("X-Forwarded-For", "2001:db8::9, fd12::1")], "2001:db8::9"),
        // An IPv4-mapped trusted peer is trusted as IPv4.
        ("::ffff:127.0.0.1", [("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        // Forwarded (RFC 7239) when there is no X-Forwarded-For.
        ("127.0.0.1", [("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43")], "192.0.2.60"),
        ("127.0.0.1", [("Forwarded", #"for="[2001:db8:cafe::17]:4711""#)], "2001:db8:cafe::17"),
        ("127.0.0.1", [("Forwarded", #"For="192.0.2.43:47011", for=10.0.0.2"#)], "192.0.2.43"),
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43, for=198.51.100.17")], "198.51.100.17"),
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43"), ("Forwarded", "for=198.51.100.17;by=10.0.0.1")], "198.51.100.17"),
        // A trusted proxy that does not know or hides its client (RFC 7239 §6.2, §6.3) leaves
        // the client unknown: the elements before its own were written by that client, forgeable.
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43, for=unknown")], "127.0.0.1"),
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43, for=_hidden, for=\"_SEVKISEK\"")], "127.0.0.1"),
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43, for=_hidden;by=10.0.0.3, for=10.0.0.3")], "10.0.0.3"),
        ("127.0.0.1", [("Forwarded", "for=192.0.2.43, proto=https")], "127.0.0.1"),
        ("127.0.0.1", [("Forwarded", #"proto=https;by="a,b;c", for=192.0.2.9"#)], "192.0.2.9"),
        ("127.0.0.1", [("Forwarded", #"for="unterminated, for=192.0.2.9"#)], "127.0.0.1"),
        ("127.0.0.1", [("Forwarded", ";;,,=;for;for=,\"")], "127.0.0.1"),
        // X-Forwarded-For wins over Forwarded.
        ("127.0.0.1", [("Forwarded", "for=192.0.2.1"), ("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
    ] as [(String, [(String, String)], String)])
    func resolves(peer: String, headers: [(String, String)], client: String) throws {
        #expect(try Self.resolve(peer: peer, headers) == client)
    }

    /// `server.client_ip_header` naming a field: only that field is read. A proxy passes the field
    /// it does not write through as the client sent it, so believing that one would believe a forgery.
    @Test(arguments: [
        (ClientIPHeader.forwarded, "127.0.0.1", [("Forwarded", "for=192.0.2.1"), ("X-Forwarded-For", "6.6.6.6")], "192.0.2.1"),
        (.forwarded, "127.0.0.1", [("X-Forwarded-For", "6.6.6.6"), ("Forwarded", "for=192.0.2.1, for=10.0.0.2")], "192.0.2.1"),
        (.forwarded, "127.0.0.1", [("X-Forwarded-For", "6.6.6.6")], "127.0.0.1"),
        (.forwarded, "203.0.113.5", [("Forwarded", "for=192.0.2.1")], "203.0.113.5"),
        (.xForwardedFor, "127.0.0.1", [("Forwarded", "for=6.6.6.6"), ("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        (.xForwardedFor, "127.0.0.1", [("Forwarded", "for=6.6.6.6")], "127.0.0.1"),
        (.xForwardedFor, "203.0.113.5", [("X-Forwarded-For", "198.51.100.7")], "203.0.113.5"),
        // auto (the default) is what Gatehouse always did: X-Forwarded-For, else Forwarded.
        (.auto, "127.0.0.1", [("Forwarded", "for=192.0.2.1"), ("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        (.auto, "127.0.0.1", [("Forwarded", "for=192.0.2.1")], "192.0.2.1"),
        (.auto, "127.0.0.1", [("Forwarded", "for=192.0.2.1"), ("X-Forwarded-For", "garbage")], "127.0.0.1"),
    ] as [(ClientIPHeader, String, [(String, String)], String)])
    func namedFieldIsTheOnlyOneRead(header: ClientIPHeader, peer: String, headers: [(String, String)], client: String) throws {
        let resolver = ClientIPResolver(trustedProxies: Self.resolver.trustedProxies, header: header)
        let address = try #require(IPAddress(parsing: peer))
        #expect(resolver.clientIP(peer: address, headers: HTTPHeaders(headers)).description == client)
    }

    @Test(arguments: [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4\t", "1.2.3.4"),
        ("1.2.3.4:80", "1.2.3.4"),
        ("[::1]", "::1"),
        ("[2001:db8::1]:_obf", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
    ])
    func parsesNodes(text: String, address: String) {
        #expect(IPAddress(forwardedNode: text)?.description == address)
    }

    @Test(arguments: ["", "unknown", "_hidden", "1.2.3.4:", "[1.2.3.4]", "[::1]x", "[::1]:", "1.2.3.4:80:90", "::1:80x", "[::1", "::1]", "example.com"])
    func rejectsNodes(text: String) {
        #expect(IPAddress(forwardedNode: text) == nil)
    }

    @Test func forwardedElementsWithoutForAreKeptAsHoles() {
        #expect(ForwardedHeader.forNodes(inFieldValue: "by=1.2.3.4, for=5.6.7.8;by=x") == [nil, "5.6.7.8"])
        #expect(ForwardedHeader.forNodes(inFieldValue: #"for="a\"b""#) == [#"a"b"#])
        #expect(ForwardedHeader.forNodes(inFieldValue: "for=1.2.3.4, , for=5.6.7.8 ,") == ["1.2.3.4", "5.6.7.8"])
    }

    @Test func socketAddresses() throws {
        let v4 = try SocketAddress(ipAddress: "198.51.100.7", port: 443)
        #expect(IPAddress(v4)?.description == "198.51.100.7")
        let v6 = try SocketAddress(ipAddress: "2001:db8::1", port: 443)
        #expect(IPAddress(v6)?.description == "2001:db8::1")
        let mapped = try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 443)
        #expect(IPAddress(mapped)?.description == "127.0.0.1")
    }
}
