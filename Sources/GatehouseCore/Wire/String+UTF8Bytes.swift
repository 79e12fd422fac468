// String+UTF8Bytes: a string's UTF-8 bytes read in place, without the copy `withUTF8` makes.

extension String {
    /// Calls `body` with the string's UTF-8 bytes. `withUTF8` is mutating, so calling it on a
    /// value the caller does not own meant copying the string first — a retain and release on
    /// every call, and these run per field of every request; a native string (always, on Linux)
    /// is read in place, anything else through that copy.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) {
            return result
        }
        var copy = self
        return try copy.withUTF8(body)
    }
}
