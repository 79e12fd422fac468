// SHA1Tests: the script digest against FIPS 180 test vectors.
@testable import GatehouseRedis
import Testing

@Suite struct SHA1Tests {
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func vectors(input: String, digest: String) {
        #expect(SHA1.hexDigest(of: Array(input.utf8)) == digest)
    }

    @Test func millionAs() {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA1.hexDigest(of: input) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
