// HTTPBodyReader+Framing: what a head's Content-Length and Transfer-Encoding fields say (RFC 9112 §6.1–6.3).

extension HTTPBodyReader {
    /// The framing fields of a head, noted as its fields are read (`HTTPFieldCollector`).
    struct FramingFields: Equatable {
        /// A `Transfer-Encoding` field is present.
        var transferCoded = false
        /// The last coding of the last `Transfer-Encoding` field is `chunked`.
        var chunkedLast = false
        /// How many codings the `Transfer-Encoding` fields list in all (empty list elements aside).
        var codings = 0
        /// The `Content-Length`, when present and valid.
        var length: Int?

        /// The one coding is `chunked`: the only transfer coding a proxy can take off a
        /// response, by decoding it, and put back as it relays it (RFC 9112 §6.1, §7).
        var chunkedOnly: Bool {
            codings == 1 && chunkedLast
        }

        /// Whether these fields declare content where a response must have none (a 1xx or
        /// 204, RFC 9110 §8.6, §15.3.5): a length other than 0, any transfer coding, or a length
        /// that is invalid.
        static func declareContent(_ fields: Result<FramingFields, HTTPSyntaxError>) -> Bool {
            guard case .success(let fields) = fields else { return true }
            return fields.transferCoded || (fields.length ?? 0) != 0
        }
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
