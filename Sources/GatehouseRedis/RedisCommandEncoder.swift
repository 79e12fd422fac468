// RedisCommandEncoder: RESP-encodes a command with hiredis' redisFormatCommandArgv.
import CHiredis
import NIOCore

/// Encodes commands as RESP arrays of bulk strings; hiredis does the framing.
enum RedisCommandEncoder {
    /// Appends the RESP encoding of `arguments` to `buffer`.
    static func encode(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) throws(RedisError) {
        let count = arguments.count
        guard count > 0, count <= Int(Int32.max) else { throw RedisError.encodingFailed }
        var total = 0
        for argument in arguments {
            total += argument.byteCount
        }
        var formatted: UnsafeMutablePointer<CChar>?
        // hiredis wants every argument as a pointer + length at once: lay the bytes out in one block
        // (on the stack when small) next to the pointer and length arrays.
        let length = withUnsafeTemporaryAllocation(byteCount: max(total, 1), alignment: 1) { scratch in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { argv in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { argvlen in
                    guard let base = scratch.baseAddress else { return Int32(-1) }
                    var offset = 0
                    for (index, argument) in arguments.enumerated() {
                        let start = base + offset
                        let size = argument.byteCount
                        argument.copyBytes(to: start)
                        argv.initializeElement(at: index, to: UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
                        argvlen.initializeElement(at: index, to: size)
                        offset += size
                    }
                    return redisFormatCommandArgv(&formatted, Int32(count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
        guard let formatted else { throw RedisError.encodingFailed }
        defer { redisFreeCommand(formatted) }
        guard length > 0 else { throw RedisError.encodingFailed }
        buffer.writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
    }
}
