// ClientIPHeader: which forwarding field a trusted proxy writes the client's address into.

/// `server.client_ip_header`, Gatehouse's nginx `real_ip_header`: the field read for the client
/// address when the peer is in `server.trusted_proxies`.
///
/// A proxy vouches only for the field it writes; the other one passes through it as the client
/// sent it. So naming the field is what stops a client's forged `X-Forwarded-For` from being
/// believed behind a proxy that appends only `Forwarded`.
public enum ClientIPHeader: String, Sendable, Equatable, CaseIterable {
    /// `X-Forwarded-For` when the request has one, else `Forwarded`: how Gatehouse read the
    /// client before this key existed, kept as the default so no existing config changes meaning.
    case auto
    /// Only `X-Forwarded-For`; `Forwarded` is ignored.
    case xForwardedFor = "x-forwarded-for"
    /// Only RFC 7239 `Forwarded`; `X-Forwarded-For` is ignored.
    case forwarded
}
