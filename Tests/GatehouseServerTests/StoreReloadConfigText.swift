// StoreReloadConfigText: the proxy.conf of tests that reload between cache and rate-limit stores, with a real Redis in it.

enum StoreReloadConfigText {
    /// The file; the store sections are spelt out by each test (indented YAML lines).
    static func make(upstream: Int, redis: Int, prefix: String = "gatehouse:", rateLimits: String, cache: String) -> String {
        """
        server:
          listen: "127.0.0.1:0"
          admin_listen: "127.0.0.1:0"
          access_log: off
        upstream:
          servers: ["http://127.0.0.1:\(upstream)"]
        redis:
          url: "redis://127.0.0.1:\(redis)/0"
          key_prefix: "\(prefix)"
        rate_limits:
        \(rateLimits)
        cache:
        \(cache)
        """
    }
}
