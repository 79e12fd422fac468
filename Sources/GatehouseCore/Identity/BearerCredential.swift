// BearerCredential: the token of an `Authorization: Bearer <token>` field, wherever one is checked.

/// Reads the `Bearer` scheme (RFC 6750 §2.1) the same way for JWTs and the admin token.
public enum BearerCredential {
    /// The token after `Bearer` (scheme matched case-insensitively, RFC 9110 §11.1), or nil
    /// for another scheme.
    public static func token(inField field: String) -> Substring? {
        let value = field.drop { $0 == " " || $0 == "\t" }
        let scheme = value.prefix { $0 != " " && $0 != "\t" }
        guard scheme.lowercased() == "bearer" else { return nil }
        return value.dropFirst(scheme.count).trimmingOWS()
    }
}
