// HTTPFieldCollector: the fields of one head as a parser reads them, with its framing fields noted on the way.
import NIOCore
import NIOHTTP1

/// Gathers a head's field lines as name/value pairs and hands them out as one `HTTPHeaders`.
/// `HTTPHeaders.add` checks every name for ASCII and against `Connection` again, after the line
/// was already checked byte by byte; and reading `Content-Length` and `Transfer-Encoding` back
/// out of the finished headers was a second pass over every field's String. Here both framing
/// fields are recognised on the line's bytes while it is added.
struct HTTPFieldCollector {
    private var fields: [(String, String)] = []
    private var framing = HTTPBodyReader.FramingFields()
    /// A `Content-Length` that is invalid, or differs from an earlier one.
    private var lengthIsInvalid = false

    init() {
        fields = Self.emptyFields()
    }

    /// Checks `line` (see `HTTPFieldLine`) and adds its field.
    mutating func add(_ line: ByteBuffer) throws {
        let (nameLength, valueRange) = try HTTPFieldLine.check(line)
        let base = line.readerIndex
        let name = line.getString(at: base, length: nameLength) ?? ""
        let value = line.getString(at: base + valueRange.lowerBound, length: valueRange.count) ?? ""
        let framingField = line.withUnsafeReadableBytes { bytes in
            Self.framingField(named: UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[..<nameLength]))
        }
        switch framingField {
        case .transferEncoding:
            framing.transferCoded = true
            // Only the last coding of the last field counts; an empty list element changes nothing.
            if let last = value.split(separator: ",").last(where: { !$0.trimmingOWS().isEmpty }) {
                framing.chunkedLast = FieldName.equals(String(last.trimmingOWS()), "chunked")
            }
        case .contentLength:
            if let length = HTTPBodyReader.contentLength(value), framing.length == nil || framing.length == length {
                framing.length = length
            } else {
                lengthIsInvalid = true
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
    }

    /// The head's fields and what they say about its body's framing (a refusal for an invalid or
    /// conflicting `Content-Length`, and for both fields at once: that is how messages get
    /// smuggled past one parser and into another; llhttp refuses it too). Starts over empty.
    mutating func finish() -> (headers: HTTPHeaders, framing: Result<HTTPBodyReader.FramingFields, HTTPSyntaxError>) {
        let headers = HTTPHeaders(fields)
        let framing: Result<HTTPBodyReader.FramingFields, HTTPSyntaxError>
        if lengthIsInvalid {
            framing = .failure(HTTPSyntaxError("invalid or conflicting Content-Length"))
        } else if self.framing.transferCoded && self.framing.length != nil {
            framing = .failure(HTTPSyntaxError("both Content-Length and Transfer-Encoding"))
        } else {
            framing = .success(self.framing)
        }
        self = HTTPFieldCollector()
        return (headers, framing)
    }

    private enum FramingField {
        case transferEncoding
        case contentLength
    }

    private static func framingField(named name: UnsafeBufferPointer<UInt8>) -> FramingField? {
        if FieldName.equals(name, "content-length") { return .contentLength }
        if FieldName.equals(name, "transfer-encoding") { return .transferEncoding }
        return nil
    }

    /// Room for a usual head: one allocation instead of the array doubling its way up to it.
    private static func emptyFields() -> [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(16)
        return fields
    }
}
