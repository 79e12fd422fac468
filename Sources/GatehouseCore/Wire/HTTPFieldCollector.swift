// HTTPFieldCollector: the fields of one head as a parser reads them, with its framing and Keep-Alive fields noted on the way.
import Glibc
import NIOCore
import NIOHTTP1

/// Gathers a head's field lines as name/value pairs and hands them out as one `HTTPHeaders`.
/// `HTTPHeaders.add` checks every name for ASCII and against `Connection` again, after the line
/// was already checked byte by byte; and reading `Content-Length` and `Transfer-Encoding` back
/// out of the finished headers was a second pass over every field's String. Here both framing
/// fields, and `Keep-Alive` (for the upstream pool), are recognised on the line's bytes while it
/// is added.
///
/// One collector serves every head of a connection, and a keep-alive peer sends the same fields
/// head after head (a browser's User-Agent, Accept and Cookie; an origin's Server and
/// Content-Type). Each name or value longer than 15 bytes is a heap-allocated `String`, so the
/// previous head's fields are kept and a line whose bytes equal the field at the same position
/// reuses its strings instead of allocating new ones.
struct HTTPFieldCollector {
    /// Heads with more field bytes than this are not kept for the next: an idle connection holds
    /// at most this much of its last head.
    static let maxKeptBytes = 4096

    private var fields: [(String, String)] = []
    private var framing = HTTPBodyReader.FramingFields()
    /// A `Content-Length` that is invalid, or differs from an earlier one.
    private var lengthIsInvalid = false
    /// The previous head's fields (empty when it was larger than `maxKeptBytes`).
    private var previous: [(String, String)] = []
    /// The bytes of this head's field lines so far.
    private var fieldBytes = 0
    /// The idle timeout this head's `Keep-Alive` fields announce, in seconds (`KeepAliveField`).
    private(set) var keepAliveTimeout: Int64?

    init() {
        fields = Self.emptyFields()
    }

    /// Checks `line` (see `HTTPFieldLine`) and adds its field.
    mutating func add(_ line: ByteBuffer) throws {
        let (nameLength, valueRange) = try HTTPFieldLine.check(line)
        let name: String
        let value: String
        let position = fields.count
        if position < previous.count, case let earlier = previous[position],
           Self.line(line, nameLength: nameLength, valueRange: valueRange, repeats: earlier)
        {
            (name, value) = earlier
        } else {
            let base = line.readerIndex
            name = line.getString(at: base, length: nameLength) ?? ""
            value = FieldValueBytes.string(line, at: base + valueRange.lowerBound, length: valueRange.count) ?? ""
        }
        fieldBytes += line.readableBytes
        let notedField = line.withUnsafeReadableBytes { bytes in
            Self.notedField(named: UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[..<nameLength]))
        }
        switch notedField {
        case .transferEncoding:
            framing.transferCoded = true
            // The last coding of the last field frames the body; an empty list element changes nothing.
            var last: Substring?
            for coding in value.split(separator: ",") where !coding.trimmingOWS().isEmpty {
                framing.codings += 1
                last = coding
            }
            if let last {
                framing.chunkedLast = FieldName.equals(String(last.trimmingOWS()), "chunked")
            }
        case .contentLength:
            if let length = HTTPBodyReader.contentLength(value), framing.length == nil || framing.length == length {
                framing.length = length
            } else {
                lengthIsInvalid = true
            }
        case .keepAlive:
            if let timeout = KeepAliveField.timeout(in: value) {
                keepAliveTimeout = min(keepAliveTimeout ?? timeout, timeout)
            }
        case nil:
            break
        }
        fields.append((name, value))
    }

    /// Drops whatever a head cut short left (nothing, usually: `finish` starts over itself).
    mutating func reset() {
        fields.removeAll(keepingCapacity: true)
        framing = HTTPBodyReader.FramingFields()
        lengthIsInvalid = false
        fieldBytes = 0
        keepAliveTimeout = nil
    }

    /// The head's fields and what they say about its body's framing (a refusal for an invalid or
    /// conflicting `Content-Length`, and for both fields at once: that is how messages get
    /// smuggled past one parser and into another; llhttp refuses it too). Starts over empty.
    mutating func finish() -> (headers: HTTPHeaders, framing: Result<HTTPBodyReader.FramingFields, HTTPSyntaxError>) {
        let headers = HTTPHeaders(fields)
        let framing = framingSoFar
        // Shared with the headers handed out (a reference, not a copy) until the next head.
        previous = fieldBytes <= Self.maxKeptBytes ? fields : []
        fields = Self.emptyFields()
        self.framing = HTTPBodyReader.FramingFields()
        lengthIsInvalid = false
        fieldBytes = 0
        keepAliveTimeout = nil
        return (headers, framing)
    }

    /// What the fields of a head that is dropped (a 1xx) say about its framing; starts over.
    mutating func discard() -> Result<HTTPBodyReader.FramingFields, HTTPSyntaxError> {
        let framing = framingSoFar
        reset()
        return framing
    }

    private var framingSoFar: Result<HTTPBodyReader.FramingFields, HTTPSyntaxError> {
        if lengthIsInvalid {
            return .failure(HTTPSyntaxError("invalid or conflicting Content-Length"))
        }
        if framing.transferCoded && framing.length != nil {
            return .failure(HTTPSyntaxError("both Content-Length and Transfer-Encoding"))
        }
        return .success(framing)
    }

    /// Whether `line`'s name and value are byte for byte those of `field`.
    private static func line(_ line: ByteBuffer, nameLength: Int, valueRange: Range<Int>, repeats field: (String, String)) -> Bool {
        line.withUnsafeReadableBytes { bytes in
            same(UnsafeRawBufferPointer(rebasing: bytes[0..<nameLength]), field.0)
                && same(UnsafeRawBufferPointer(rebasing: bytes[valueRange]), field.1)
        }
    }

    /// Compares the String's UTF-8 with the bytes, which is the same as comparing what each is
    /// on the wire only when they are ASCII: `é` (held as two scalars, C3 83 C2 A9 in UTF-8)
    /// was read from the two bytes C3 A9, never from these four (`FieldValueBytes`).
    private static func same(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        text.withUTF8Bytes { utf8 in
            guard utf8.count == bytes.count else { return false }
            guard let left = bytes.baseAddress, let right = utf8.baseAddress else { return true }
            return memcmp(left, right, utf8.count) == 0 && FieldValueBytes.nonASCIICount(bytes) == 0
        }
    }

    private enum NotedField {
        case transferEncoding
        case contentLength
        case keepAlive
    }

    private static func notedField(named name: UnsafeBufferPointer<UInt8>) -> NotedField? {
        if FieldName.equals(name, "content-length") { return .contentLength }
        if FieldName.equals(name, "transfer-encoding") { return .transferEncoding }
        if FieldName.equals(name, "keep-alive") { return .keepAlive }
        return nil
    }

    /// Room for a usual head: one allocation instead of the array doubling its way up to it.
    private static func emptyFields() -> [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(16)
        return fields
    }
}
