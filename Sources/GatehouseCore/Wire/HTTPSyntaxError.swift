// HTTPSyntaxError: why bytes read off a connection are not HTTP/1.1, the cause behind a 400, 431 or 502.

/// Thrown by Gatehouse's HTTP/1.1 parsers. The refusal it leads to is a `GatehouseError` made
/// where the bytes came from: a client's get 400 (431 when `isTooLarge`), an origin's 502.
public struct HTTPSyntaxError: Error, Equatable, CustomStringConvertible {
    public let description: String
    /// A size limit was exceeded (the head, one line), rather than the syntax broken.
    public let isTooLarge: Bool

    public init(_ description: String, tooLarge: Bool = false) {
        self.description = description
        self.isTooLarge = tooLarge
    }
}
