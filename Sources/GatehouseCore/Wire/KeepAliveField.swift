// KeepAliveField: the idle timeout a server announces in `Keep-Alive: timeout=N`.

/// The `Keep-Alive` field (RFC 2068 §19.7.1.1; RFC 9112 §9.3 leaves its use to implementations):
/// Node.js and Apache send `Keep-Alive: timeout=5` with every keep-alive response, saying how
/// long they keep the idle connection open. A client that reuses the connection later races the
/// server's close, so undici (Node's fetch) stops reusing it a second before that.
public enum KeepAliveField {
    /// The `timeout` parameter of one field value, in seconds; the smallest when it is given
    /// more than once (the server closes at the first), nil when none is a number.
    public static func timeout(in value: String) -> Int64? {
        var timeout: Int64?
        ParameterList.forEach(in: value) { name, argument in
            guard name.count == 7, FieldName.equals(name, "timeout"), let argument else { return }
            timeout = min(timeout ?? argument, argument)
        }
        return timeout
    }
}
