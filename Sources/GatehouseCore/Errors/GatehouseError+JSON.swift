// GatehouseError+JSON: the `{"error": {...}}` body of DESIGN.md §8.

extension GatehouseError {
    /// The JSON body sent to the client, e.g.
    /// `{"error":{"code":"RATE_LIMITED","message":"Too many requests","details":[...]}}`.
    public var jsonBody: String {
        var error: [(String, JSONValue)] = [
            ("code", .string(kind.code)),
            ("message", .string(message)),
        ]
        if !details.isEmpty {
            error.append(("details", .array(details.map { JSONValue.object($0.sorted { $0.key < $1.key }) })))
        }
        return JSONValue.object([("error", .object(error))]).encoded
    }
}
