// IPNetworkTests: parsing addresses and CIDR blocks, membership, masking and printing.

import Testing
@testable import GatehouseCore

@Suite struct IPAddressTests {
    @Test(arguments: ["127.0.0.1", "10.1.2.3", "0.0.0.0", "255.255.255.255", "9.10.99.100", "203.0.113.250"])
    func parsesIPv4(_ text: String) throws {
        let address = try #require(IPAddress(parsing: text))
        #expect(address.isIPv4)
        #expect(address.bytes.count == 4)
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("::1", "::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("fd00::", "fd00::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("::", "::"),
    ])
    func parsesAndPrintsIPv6(_ text: String, _ printed: String) throws {
        let address = try #require(IPAddress(parsing: text))
        #expect(address.isIPv6)
        #expect(address.bytes.count == 16)
        #expect(address.description == printed)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4 ", "::g", "1.2.3.4\0", "fe80::1%eth0", "[::1]", "localhost"])
    func rejects(_ text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func ipv4MappedIPv6IsIPv4() throws {
        let mapped = try #require(IPAddress(parsing: "::ffff:1.2.3.4"))
        #expect(mapped.isIPv4)
        #expect(mapped == IPAddress(parsing: "1.2.3.4"))
        #expect(mapped.description == "1.2.3.4")
        let fromBytes = IPAddress(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4])
        #expect(fromBytes == mapped)
    }

    @Test func buildsFromBytes() {
        #expect(IPAddress(bytes: [192, 168, 0, 1])?.description == "192.168.0.1")
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1])?.description == "::1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func masksToAPrefix() throws {
        let v6 = try #require(IPAddress(parsing: "2001:db8:1:2:3456:4:5:6"))
        #expect(v6.masked(toPrefix: 64).description == "2001:db8:1:2::")
        #expect(v6.masked(toPrefix: 48).description == "2001:db8:1::")
        #expect(v6.masked(toPrefix: 72).description == "2001:db8:1:2:3400::")
        #expect(v6.masked(toPrefix: 128) == v6)
        #expect(v6.masked(toPrefix: 0).description == "::")
        #expect(v6.masked(toPrefix: 500) == v6)
        let v4 = try #require(IPAddress(parsing: "10.1.2.3"))
        #expect(v4.masked(toPrefix: 8).description == "10.0.0.0")
        #expect(v4.masked(toPrefix: 20).description == "10.1.0.0")
        #expect(v4.masked(toPrefix: -3).description == "0.0.0.0")
    }

    @Test func equalAddressesHashAlike() throws {
        let set: Set<IPAddress> = [try #require(IPAddress(parsing: "::1")), try #require(IPAddress(parsing: "0:0::1"))]
        #expect(set.count == 1)
    }
}

@Suite struct IPNetworkTests {
    @Test(arguments: [
        ("127.0.0.1/32", "127.0.0.1/32"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("::1/128", "::1/128"),
        ("fd00::/8", "fd00::/8"),
        ("192.168.1.7", "192.168.1.7/32"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
    ])
    func parses(_ text: String, _ printed: String) throws {
        let network = try #require(IPNetwork(parsing: text))
        #expect(network.description == printed)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0/8", "abc", ""])
    func rejects(_ text: String) {
        #expect(IPNetwork(parsing: text) == nil)
    }

    @Test func containsAddressesInsideOnly() throws {
        let network = try #require(IPNetwork(parsing: "10.0.0.0/8"))
        #expect(network.contains(try #require(IPAddress(parsing: "10.255.1.2"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "11.0.0.1"))))
        #expect(network.contains(try #require(IPAddress(parsing: "::ffff:10.0.0.1"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "::1"))))

        let v6 = try #require(IPNetwork(parsing: "fd00::/8"))
        #expect(v6.contains(try #require(IPAddress(parsing: "fd12:3456::1"))))
        #expect(!v6.contains(try #require(IPAddress(parsing: "fe80::1"))))
        #expect(!v6.contains(try #require(IPAddress(parsing: "10.0.0.1"))))

        let host = try #require(IPNetwork(parsing: "127.0.0.1"))
        #expect(host.contains(try #require(IPAddress(parsing: "127.0.0.1"))))
        #expect(!host.contains(try #require(IPAddress(parsing: "127.0.0.2"))))
    }

    @Test func ipv6BlocksCoveringMappedAddressesHoldIPv4() throws {
        let everything = try #require(IPNetwork(parsing: "::/0"))
        #expect(everything.contains(try #require(IPAddress(parsing: "192.0.2.1"))))
        let mappedRange = try #require(IPNetwork(parsing: "::ffff:0:0/95"))
        #expect(mappedRange.contains(try #require(IPAddress(parsing: "192.0.2.1"))))
    }

    @Test func buildsFromAnAddressAndPrefix() throws {
        let address = try #require(IPAddress(parsing: "192.168.5.5"))
        #expect(IPNetwork(address: address, prefixLength: 16)?.description == "192.168.0.0/16")
        #expect(IPNetwork(address: address, prefixLength: 33) == nil)
        #expect(IPNetwork(address: address, prefixLength: -1) == nil)
    }
}
