// HeadBufferTests: a loop's head buffer is reused only when nothing else still holds its bytes.

import NIOCore
import Testing
@testable import GatehouseServer

@Suite struct HeadBufferTests {
    static func storage(of buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func aBufferNoLongerHeldIsReusedEmpty() {
        let heads = HeadBuffer(allocator: ByteBufferAllocator())
        var first = heads.take(capacity: 256)
        first.writeString("HTTP/1.1 200 OK\r\n\r\n")
        let address = Self.storage(of: first)
        heads.recycle(first)
        first = ByteBuffer()  // the socket wrote it and let go
        let second = heads.take(capacity: 256)
        #expect(second.readableBytes == 0)
        #expect(second.capacity >= 256)
        #expect(Self.storage(of: second) == address)
    }

    @Test func aBufferStillPendingIsNeitherReusedNorChanged() {
        let heads = HeadBuffer(allocator: ByteBufferAllocator())
        var pending = heads.take(capacity: 256)
        pending.writeString("HTTP/1.1 200 OK\r\n\r\n")
        heads.recycle(pending)  // `pending` stands for the copy a slow socket still holds
        var next = heads.take(capacity: 256)
        next.writeString("HTTP/1.1 404 Not Found\r\n\r\n")
        #expect(Self.storage(of: next) != Self.storage(of: pending))
        #expect(String(buffer: pending) == "HTTP/1.1 200 OK\r\n\r\n")
    }

    @Test func aBufferThatGrewLargeIsNotKept() {
        let heads = HeadBuffer(allocator: ByteBufferAllocator())
        var large = heads.take(capacity: HeadBuffer.maxKeptCapacity * 2)
        large.writeRepeatingByte(0x61, count: HeadBuffer.maxKeptCapacity + 1)
        heads.recycle(large)
        large = ByteBuffer()
        // Kept, the large storage would come back (unique, cleared) with its capacity. Its address
        // says nothing: malloc may hand the freed block to the new buffer.
        #expect(heads.take(capacity: 256).capacity < HeadBuffer.maxKeptCapacity)
    }
}
