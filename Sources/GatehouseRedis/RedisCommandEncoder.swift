// RedisCommandEncoder: RESP-encodes a command with hiredis' redisFormatCommandArgv.
import CHiredis
import NIOCore

/// Encodes commands as RESP arrays of bulk strings; hiredis does the framing.
enum RedisCommandEncoder {
    /// Appends the RESP encoding of `arguments` to `buffer`.
    static func encode(_ arguments: [RedisArgument], into buffer: inout ByteBuffer) throws(RedisError) {
        guard !arguments.isEmpty, arguments.count <= Int(Int32.max) else { throw RedisError.encodingFailed }
        let lengths = arguments.map(\.byteCount)
        let total = lengths.reduce(0, +)
        // hiredis wants every argument as a pointer + length at once: lay them out in one block.
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { scratch.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(arguments.count)
        var offset = 0
        for (argument, length) in zip(arguments, lengths) {
            let start = scratch + offset
            argument.copyBytes(to: start)
            pointers.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
            offset += length
        }

        var formatted: UnsafeMutablePointer<CChar>?
        let length = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                redisFormatCommandArgv(&formatted, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
        guard let formatted else { throw RedisError.encodingFailed }
        defer { redisFreeCommand(formatted) }
        guard length > 0 else { throw RedisError.encodingFailed }
        buffer.writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
    }
}
