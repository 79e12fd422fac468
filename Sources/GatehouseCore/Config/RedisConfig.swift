// RedisConfig: the `redis:` section — where the shared store lives and how it is reached.

/// The `redis:` section of proxy.conf; used when a store is `redis`.
public struct RedisConfig: Sendable, Equatable {
    public var url: RedisEndpoint = RedisEndpoint(transport: .tcp(host: "127.0.0.1", port: 6379), database: 0, password: nil)
    public var poolSize: Int = 4
    /// How long one command may take; at most `longestTimeout`.
    public var timeout: Duration = .milliseconds(250)
    public var keyPrefix: String = "gatehouse:"

    public init() {}

    /// The longest `timeout` a config may set. A store call waits for Redis instead of answering
    /// (a miss, `on_store_error`) for up to twice this, so a longer one would hold requests for
    /// minutes on an unreachable Redis rather than fail them over.
    public static let longestTimeout: Duration = .seconds(60)
}

/// A parsed `redis://[:password@]host:port/db` or `unix:///path[?db=N]` URL.
public struct RedisEndpoint: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var transport: Transport
    public var database: Int
    public var password: String?

    public init(transport: Transport, database: Int, password: String?) {
        self.transport = transport
        self.database = database
        self.password = password
    }
}
