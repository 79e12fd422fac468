// ClientIPResolver: who the client is — the socket peer, or what trusted proxies say it was.

import NIOHTTP1

/// Resolves the client address of a request from `server.trusted_proxies`.
///
/// The peer is the client unless it is a trusted proxy. Then the forwarding chain of the field
/// `header` names (for `auto`, `X-Forwarded-For`, or RFC 7239 `Forwarded` when there is no
/// X-Forwarded-For) is walked from the right — the hop our trusted peer itself appended — past every
/// trusted address, and the first untrusted one is the client: everything to its left was written
/// by the client and may be forged.
/// A hop that names no address (`unknown`, an obfuscated name, garbage) ends the walk: a trusted
/// proxy that wrote it did not know or would not say who its client was, and everything to its left
/// came from that client, so the last trusted address passed (or the peer) is the client, as with
/// nginx's realip. Empty list members (stray commas) are no hop. When every address is trusted, the
/// left-most one is the client.
public struct ClientIPResolver: Sendable {
    public let trustedProxies: [IPNetwork]
    /// The forwarding field trusted proxies write (`server.client_ip_header`).
    public let header: ClientIPHeader

    public init(trustedProxies: [IPNetwork], header: ClientIPHeader = .auto) {
        self.trustedProxies = trustedProxies
        self.header = header
    }

    /// True when `address` lies in one of the trusted proxy blocks.
    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// The client address of a request that arrived from `peer` with `headers`.
    public func clientIP(peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        guard isTrusted(peer) else { return peer }
        switch header {
        case .xForwardedFor:
            return forwardedForClient(headers: headers, peer: peer) ?? peer
        case .forwarded:
            return forwardedClient(headers: headers, peer: peer) ?? peer
        case .auto:
            return forwardedForClient(headers: headers, peer: peer) ?? forwardedClient(headers: headers, peer: peer) ?? peer
        }
    }

    /// The client X-Forwarded-For names; nil when the request has no such field.
    private func forwardedForClient(headers: HTTPHeaders, peer: IPAddress) -> IPAddress? {
        let fields = headers["X-Forwarded-For"]
        guard !fields.isEmpty else { return nil }
        // Several field lines are one list, in order (RFC 9110 §5.3).
        let hops = fields.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .filter { !$0.trimmingForwardingWhitespace().isEmpty }
        return client(in: hops.lazy.map { IPAddress(forwardedNode: $0) }, peer: peer)
    }

    /// The client RFC 7239 Forwarded names; nil when the request has no forwarded element.
    private func forwardedClient(headers: HTTPHeaders, peer: IPAddress) -> IPAddress? {
        let nodes = ForwardedHeader.forNodes(in: headers)
        guard !nodes.isEmpty else { return nil }
        return client(in: nodes.lazy.map { $0.flatMap { IPAddress(forwardedNode: $0) } }, peer: peer)
    }

    /// The right-most untrusted address of `hops` reached past trusted ones only (nil = a hop
    /// naming no address, which ends the walk), else the last trusted address passed, else `peer`.
    private func client(in hops: some BidirectionalCollection<IPAddress?>, peer: IPAddress) -> IPAddress {
        var nearest = peer
        for hop in hops.reversed() {
            guard let address = hop else { return nearest }
            if !isTrusted(address) { return address }
            nearest = address
        }
        return nearest
    }
}
