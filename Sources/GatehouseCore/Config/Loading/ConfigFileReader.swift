// ConfigFileReader: reads a config file's bytes as UTF-8 text, with the system's reason on failure.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole (small) text file; failures carry the `strerror` reason ("No such file or directory").
enum ConfigFileReader {
    /// Config files are a few KiB; refusing huge ones keeps a wrong path (a disk image) from eating memory.
    static let maximumBytes = 16 * 1024 * 1024

    static func read(path: String) throws(InvalidValue) -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure("cannot open the file") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                readBytes(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read the file")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maximumBytes else {
                throw InvalidValue("the file is larger than \(ByteSizeSyntax.format(maximumBytes)); is this the config file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InvalidValue("the file is not UTF-8 text")
        }
        return text
    }

    /// The system's read(2); named apart from `read(path:)`, which would otherwise shadow it.
    private static func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
        #elseif canImport(Musl)
        Musl.read(descriptor, buffer, count)
        #else
        Darwin.read(descriptor, buffer, count)
        #endif
    }

    private static func failure(_ what: String) -> InvalidValue {
        let reason = strerror(errno).map { String(cString: $0) } ?? "error \(errno)"
        return InvalidValue("\(what): \(reason)")
    }
}
