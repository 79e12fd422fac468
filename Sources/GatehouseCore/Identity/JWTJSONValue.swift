// JWTJSONValue: one member of a JWT header or claims set, as far as verification needs to see it.

/// A JSON value from a JWT, keeping numbers' exact decimal text for use as a user identifier.
enum JWTJSONValue: Decodable, Sendable, Equatable {
    case string(String)
    /// `text` is the integer's exact digits when it is one (ids beyond 2^53 must not round).
    case number(Double, text: String)
    /// An array of strings, as `aud` may be (RFC 7519 §4.1.3).
    case strings([String])
    /// Booleans, null, other arrays and objects: nothing verification reads.
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let integer = try? container.decode(Int64.self) {
            self = .number(Double(integer), text: String(integer))
        } else if let integer = try? container.decode(UInt64.self) {
            self = .number(Double(integer), text: String(integer))
        } else if let number = try? container.decode(Double.self) {
            self = .number(number, text: String(number))
        } else if let texts = try? container.decode([String].self) {
            self = .strings(texts)
        } else {
            self = .other
        }
    }

    /// The value as a NumericDate (RFC 7519 §2), or nil when it is not a number.
    var number: Double? {
        if case .number(let value, _) = self { return value }
        return nil
    }
}
