// TrackedKeyTests: a key's shard comes from its value (one per client), its bucket in the shard's map from independent bits.
import Testing
@testable import GatehouseCore

@Suite struct TrackedKeyTests {
    private static let keys = (0..<32_000).map { TrackedKey("per-ip:10.\($0 / 65_536).\($0 / 256 % 256).\($0 % 256)") }

    /// A shard's map picks buckets from the hash's low bits (`hash ^ seed`, masked). The shard
    /// came from the low bits too (`hash % 16`), so all of a shard's keys had the same low four
    /// bits and crowded into a sixteenth of its buckets. Now they spread over all of them.
    @Test func keysOfOneShardSpreadOverTheBuckets() {
        for shard in [0, 7, 15] {
            let lowBits = Set(Self.keys.filter { $0.shard(among: 16) == shard }.map { $0.hash & 0xFF })
            #expect(lowBits.count > 200, "shard \(shard) uses \(lowBits.count) of 256 low-bit patterns")
        }
    }

    @Test(arguments: [1, 3, 16])
    func shardsAreEvenlyUsed(_ count: Int) {
        var sizes = [Int](repeating: 0, count: count)
        for key in Self.keys {
            let shard = key.shard(among: count)
            guard (0..<count).contains(shard) else {
                Issue.record("shard \(shard) of \(count)")
                return
            }
            sizes[shard] += 1
        }
        let even = Self.keys.count / count
        #expect(sizes.allSatisfy { abs($0 - even) < even / 10 + 1 }, "\(sizes)")
    }

    /// A request that several policies count under one value (an address group, a user) takes
    /// one shard's lock: every policy's key of one value is in the same shard, IPv6 groups (whose
    /// text holds colons after the policy name's) included.
    @Test func everyPolicysKeyOfOneValueIsInOneShard() {
        for value in ["203.0.113.7", "2001:db8:0:100::/56", "alice", "key:with:colons"] {
            let shards = Set(["per-ip", "per-ip-api", "burst", "a.b-c_1"].map { TrackedKey("\($0):\(value)").shard(among: 16) })
            #expect(shards.count == 1, "\(value): shards \(shards.sorted())")
        }
    }
}
