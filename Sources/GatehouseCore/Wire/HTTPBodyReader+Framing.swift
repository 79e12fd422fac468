// HTTPBodyReader+Framing: what a head's Content-Length and Transfer-Encoding fields say (RFC 9112 §6.1–6.3).
import NIOHTTP1

extension HTTPBodyReader {
    /// The framing fields of a head, read in one pass.
    struct FramingFields: Equatable {
        /// A `Transfer-Encoding` field is present.
        var transferCoded = false
        /// The last coding of the last `Transfer-Encoding` field is `chunked`.
        var chunkedLast = false
        /// The `Content-Length`, when present and valid.
        var length: Int?
    }

    /// Reads `headers`' framing fields; throws for an invalid or conflicting `Content-Length`,
    /// and for both fields at once, which is how messages get smuggled past one parser and into
    /// another (llhttp refuses it too).
    static func framingFields(of headers: HTTPHeaders) throws -> FramingFields {
        var fields = FramingFields()
        for (name, value) in headers {
            if FieldName.equals(name, "transfer-encoding") {
                fields.transferCoded = true
                // Only the last coding of the last field counts; an empty list element changes nothing.
                if let last = value.split(separator: ",").last(where: { !$0.trimmingOWS().isEmpty }) {
                    fields.chunkedLast = FieldName.equals(String(last.trimmingOWS()), "chunked")
                }
            } else if FieldName.equals(name, "content-length") {
                guard let length = contentLength(value), fields.length == nil || fields.length == length else {
                    throw HTTPSyntaxError("invalid or conflicting Content-Length")
                }
                fields.length = length
            }
        }
        guard !(fields.transferCoded && fields.length != nil) else {
            throw HTTPSyntaxError("both Content-Length and Transfer-Encoding")
        }
        return fields
    }

    /// A `Content-Length` value: one number, or a list of the same number repeated (RFC 9110
    /// §8.6), each of at most 18 digits so that it fits an `Int`; nil for anything else.
    static func contentLength(_ text: String) -> Int? {
        var result: Int?
        var value = 0
        var digits = 0
        var elementEnded = false  // whitespace after the digits: only a comma may follow
        for byte in text.utf8 {
            if let digit = HTTPByteClass.digit(byte) {
                guard !elementEnded, digits < 18 else { return nil }
                value = value * 10 + digit
                digits += 1
            } else if byte == UInt8(ascii: ",") {
                guard digits > 0, result == nil || result == value else { return nil }
                (result, value, digits, elementEnded) = (value, 0, 0, false)
            } else if HTTPByteClass.isWhitespace(byte) {
                elementEnded = digits > 0
            } else {
                return nil
            }
        }
        guard digits > 0, result == nil || result == value else { return nil }
        return value
    }
}
