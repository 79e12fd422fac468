// ServerConfig: the `server:` section — listeners, trust, timeouts and limits.

/// The `server:` section of proxy.conf.
public struct ServerConfig: Sendable, Equatable {
    /// Public listener, `host:port` (`0.0.0.0:8080`, `[::]:8080`).
    public var listen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8080)
    /// Admin listener for /health, /metrics and /admin/*; never the public one.
    public var adminListen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9901)
    /// Name of the environment variable holding the admin bearer token; nil or unset = no token.
    public var adminTokenEnv: String? = "GATEHOUSE_ADMIN_TOKEN"
    /// Peers whose X-Forwarded-For / Forwarded / user header are believed.
    public var trustedProxies: [IPNetwork] = [IPNetwork(parsing: "127.0.0.1/32")].compactMap { $0 }
    /// Which forwarding field names the client when the peer is a trusted proxy.
    public var clientIPHeader: ClientIPHeader = .auto
    /// Event-loop threads; nil = one per core (`auto`).
    public var threads: Int? = nil
    public var drainTimeout: Duration = .seconds(30)
    public var readHeaderTimeout: Duration = .seconds(10)
    public var idleTimeout: Duration = .seconds(60)
    /// Bytes per second a request body must keep up, on average, while Gatehouse reads it: the
    /// body may take `readHeaderTimeout` plus one second per this many bytes received (Apache's
    /// mod_reqtimeout `body=…,MinRate=`); 0 turns the rule off (`idleTimeout` between reads still holds).
    public var minBodyRate: Int = 500
    public var maxHeaderBytes: Int = 32 * 1024
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    public var maxConnections: Int = 10_000
    public var accessLog: AccessLogDestination = .stdout

    public init() {}
}

/// A `host:port` to listen on.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP literal (IPv6 without brackets) or a host name.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String {
        HostPortText.format(host: host, port: port)
    }
}

/// Where the JSON access log goes.
public enum AccessLogDestination: Sendable, Equatable {
    case stdout
    case off
    case file(path: String)

    /// True for a file, which a reload opens again (the file at the path may be a new one).
    public var isFile: Bool {
        if case .file = self { return true }
        return false
    }
}
