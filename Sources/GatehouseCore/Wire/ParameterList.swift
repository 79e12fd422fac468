// ParameterList: the `name[=value]` lists of Cache-Control and Keep-Alive, read off the bytes.

/// Walks a comma-separated list of `name` or `name=argument` parameters, the argument a token or
/// a quoted-string, as `Cache-Control` (RFC 9111 §5.2) and `Keep-Alive` (RFC 2068 §19.7.1.1)
/// write them. Only numeric arguments matter to their readers, so an argument is handed out as
/// delta-seconds. No Strings are made: this runs for every response the cache or the upstream
/// pool looks at.
enum ParameterList {
    /// Calls `body` with each parameter's name (its bytes, as written) and its argument as
    /// delta-seconds (nil when absent or not a number).
    static func forEach(in value: String, _ body: (UnsafeBufferPointer<UInt8>, Int64?) -> Void) {
        value.withUTF8Bytes { forEach(in: $0, body) }
    }

    private static func forEach(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, Int64?) -> Void) {
        var index = 0
        while index < bytes.count {
            while index < bytes.count, isSeparator(bytes[index]) { index += 1 }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !isSeparator(bytes[index]) { index += 1 }
            guard index > nameStart else {
                while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
                continue
            }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<index])
            var argument: DeltaSeconds?
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                argument = readArgument(bytes, &index)
            }
            body(name, argument?.value)
            // Skip whatever junk follows up to the next parameter.
            while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
        }
    }

    /// A token or a quoted-string (recipients should accept `max-age="5"`).
    private static func readArgument(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> DeltaSeconds {
        var argument = DeltaSeconds()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            while index < bytes.count, !isSeparator(bytes[index]) {
                argument.append(bytes[index])
                index += 1
            }
            return argument
        }
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index += 1
            }
            argument.append(bytes[index])
            index += 1
        }
        index += 1
        return argument
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
