// UpstreamConfig: the `upstream:` section — origin servers, their timeouts and the idle pool.

/// The `upstream:` section of proxy.conf.
public struct UpstreamConfig: Sendable, Equatable {
    /// Origin servers, used round robin; at least one.
    public var servers: [UpstreamServerAddress]
    public var connectTimeout: Duration = .seconds(2)
    /// Longest wait for the response head, and for each read of the body after it.
    public var responseTimeout: Duration = .seconds(30)
    /// Idle keep-alive connections kept per server on each event loop.
    public var maxIdleConnections: Int = 64
    /// How long an idle keep-alive connection may wait in the pool and still be reused; zero
    /// means no limit. Shorter than the idle timeouts origins commonly close on (Node.js and
    /// Apache 5 s), so a request is not written on a connection the origin is closing.
    public var keepaliveTimeout: Duration = .seconds(4)
    /// How often the servers named by host name are resolved again (Envoy's `dns_refresh_rate`),
    /// so an origin whose addresses change (a load balancer, a Kubernetes Service, a failover
    /// record) is followed without a reload; zero resolves them only at start and reload.
    public var resolveInterval: Duration = .seconds(30)

    public init(servers: [UpstreamServerAddress]) {
        self.servers = servers
    }
}

/// One origin server, from a `http://host:port` URL.
public struct UpstreamServerAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (`[v6]:port` for an IPv6 literal).
    public var authority: String {
        HostPortText.format(host: host, port: port)
    }

    public var description: String {
        "http://" + authority
    }
}
