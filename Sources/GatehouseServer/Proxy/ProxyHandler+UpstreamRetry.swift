// ProxyHandler+UpstreamRetry: whether a request whose upstream connection closed unanswered goes upstream again.

extension ProxyHandler {
    /// Sends `request` again, on a fresh connection, when `upstream` closed before any of the
    /// response came and the request may safely be sent twice (`InFlightRequest.isRetryable`);
    /// returns whether it did. A pooled connection found closed is ordinary wear. A fresh one
    /// closed unanswered means its server is not serving (an origin shutting down, a Docker
    /// port whose container is stopped: the connect succeeds, the answer never comes), so that
    /// server is skipped for a while, like one refusing connections, and the request goes to
    /// another it has not tried, as nginx's `proxy_next_upstream error` does, even one marked
    /// failed itself (a mark is a belief, and that server may be back); with every server
    /// tried it gets its 502.
    func resendAfterUnansweredClose(_ request: InFlightRequest, upstream: UpstreamConnection) -> Bool {
        let servers = request.runtime.pools.servers
        if !upstream.isReused {
            servers.markFailed(upstream.serverIndex)
            // `triedBefore` holds what the request had tried when it asked for this connection.
            request.upstreamServersTried = upstream.triedBefore.union([upstream.serverIndex])
        }
        guard request.isRetryable, request.upstreamServersTried.count < servers.count else { return false }
        if !upstream.isReused {
            // The server's failure is counted though the client never sees it.
            recorder.upstreamFailed(kind: UpstreamFailure.connectionClosed(beforeResponseHead: true).metricKind)
        }
        state = .connecting(request)
        connectUpstream(for: request, allowReuse: false)
        return true
    }
}
