// CacheBodyFileTests: large stored bodies move into sealed memory files, within a bound on open files, and come back byte for byte.
import GatehouseTesting
import Glibc
import NIOCore
import Testing
@testable import GatehouseCore

@Suite struct CacheBodyFileTests {
    static func patterned(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: patternedBytes(count))
    }

    static func entry(bodyBytes count: Int) -> CacheEntry {
        var entry = CacheFixtures.entry()
        entry.body = patterned(count)
        return entry
    }

    /// The file holding `entry`'s body; nil (and an issue recorded) when it is in a buffer.
    static func file(of entry: CacheEntry) -> CacheBodyFile? {
        guard case .file(let file) = entry.storedBody else {
            Issue.record("the body is in a buffer, not a memory file")
            return nil
        }
        return file
    }

    @Test func aLargeBodyIsFiledAndReadsBackByteForByte() throws {
        let filer = CacheBodyFiler(threshold: 1_024, limit: 4)
        let original = Self.entry(bodyBytes: 10_000)
        let filed = filer.filed(original)
        let file = try #require(Self.file(of: filed))
        #expect(file.count == 10_000)
        #expect(file.readAll() == Self.patterned(10_000))
        #expect(filed.body == original.body)
        #expect(filed == original)
        #expect(filer.openFiles == 1)
        // Pages and the kernel's objects, instead of the bytes.
        #expect(filed.storageCost - original.storageCost == 3 * 4096 + CacheBody.fileOverhead - 10_000)
    }

    @Test func smallBodiesStayInBuffers() {
        let filer = CacheBodyFiler(threshold: 1_024, limit: 4)
        let filed = filer.filed(Self.entry(bodyBytes: 1_023))
        guard case .bytes = filed.storedBody else {
            Issue.record("a body under the threshold was filed")
            return
        }
        #expect(filer.openFiles == 0)
    }

    @Test func theLimitBoundsOpenFilesAndAClosedFileFreesItsPlace() {
        let filer = CacheBodyFiler(threshold: 1_024, limit: 1)
        var first: CacheEntry? = filer.filed(Self.entry(bodyBytes: 5_000))
        let second = filer.filed(Self.entry(bodyBytes: 5_000))
        #expect(first.flatMap(Self.file(of:)) != nil)
        if case .file = second.storedBody { Issue.record("a second file was opened past the limit of one") }
        #expect(second.body == Self.patterned(5_000))
        #expect(filer.openFiles == 1)
        first = nil
        #expect(filer.openFiles == 0)
        #expect(Self.file(of: filer.filed(Self.entry(bodyBytes: 5_000))) != nil)
    }

    @Test func aFiledBodyCannotBeChanged() throws {
        let filer = CacheBodyFiler(threshold: 1, limit: 1)
        let filed = filer.filed(Self.entry(bodyBytes: 8_192))
        let file = try #require(Self.file(of: filed))
        // Its pages may still be queued in sockets after a write returns: the kernel refuses
        // every change, whoever tries.
        var byte: UInt8 = 0
        #expect(pwrite(file.descriptor, &byte, 1, 0) == -1)
        #expect(errno == EPERM)
        #expect(ftruncate(file.descriptor, 0) == -1)
        #expect(file.readAll() == Self.patterned(8_192))
    }

    @Test func theMemoryStoreFilesLargeBodiesAndClosesThemWhenTheyGo() throws {
        let filer = CacheBodyFiler(threshold: 64 * 1024, limit: 8)
        let store = MemoryCacheStore(budget: 8 << 20, maxObjectSize: 1 << 20, bodyFiler: filer)
        let key = CacheFixtures.key("/large")
        let small = CacheFixtures.key("/small")
        let original = Self.entry(bodyBytes: 100 * 1024)
        #expect(store.store(original, for: key, retention: 60, now: CacheFixtures.t0))
        #expect(store.store(Self.entry(bodyBytes: 1_000), for: small, retention: 60, now: CacheFixtures.t0))
        #expect(filer.openFiles == 1)
        do {
            let found = try #require(store.lookup(key, now: CacheFixtures.t0))
            #expect(Self.file(of: found) != nil)
            #expect(found == original)
            #expect(store.stats.bytes >= 100 * 1024)
        }
        store.purgeAll()
        #expect(filer.openFiles == 0)
    }

    @Test func aRevalidatedEntryKeepsItsFile() throws {
        let filer = CacheBodyFiler(threshold: 1_024, limit: 1)
        let filed = filer.filed(Self.entry(bodyBytes: 4_000))
        let file = try #require(Self.file(of: filed))
        let plan = CacheStoragePlan(
            status: .ok, headers: ["Content-Length": "1"], varyNames: [], freshness: filed.freshness,
            initialAge: 0, responseTime: CacheFixtures.t0
        )
        let refreshed = plan.entry(storedBody: filed.storedBody)
        #expect(Self.file(of: refreshed) === file)
        #expect(refreshed.headers.first(name: "content-length") == "4000")
        #expect(filer.openFiles == 1)
    }
}
