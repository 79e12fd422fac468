// The fixed content of `/bytes/{n}`: a 64-byte line repeated, so any prefix is checkable.
import NIOCore

enum BytePattern {
    /// 64 bytes: byte `i` of a body is `line[i % 64]`.
    static let line: [UInt8] = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n".utf8)

    /// 64 KiB of the pattern; a whole number of lines, so every chunk starts at offset 0 of a line.
    static let chunk: ByteBuffer = {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        for _ in 0..<1024 {
            buffer.writeBytes(Self.line)
        }
        return buffer
    }()

    /// A validator that changes exactly when the body would: with the length and the pattern.
    static func etag(length: Int) -> String {
        ETag.of(seed: "bytes-v1/\(length)")
    }
}
