// HeadFirstRequest: one request head as HeadFirstOrigin parsed it off its connection.

/// What the origin read: the request line's method and target, the fields (names lower-cased),
/// the head's size on the wire, and the body length it declared (which it then skips).
struct HeadFirstRequest: Sendable {
    let method: String
    let path: String
    let fields: [String: String]
    /// Bytes from the request line to the blank line that ends the head, both included.
    let headBytes: Int
    /// The connection it came on (1 for the first accepted).
    let connection: Int

    var declaredLength: Int { fields["content-length"].flatMap { Int($0) } ?? 0 }
}
