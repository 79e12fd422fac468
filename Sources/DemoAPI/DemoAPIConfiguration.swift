// Settings of one demo-api server: freshness of GET answers and the size of the seeded user store.

/// What a ``DemoAPIServer`` serves and how cacheable its answers are.
public struct DemoAPIConfiguration: Sendable {
    /// Seconds of freshness in `Cache-Control: public, max-age=N` on cacheable GET answers;
    /// `0` makes them `Cache-Control: no-store`.
    public var maxAge: Int = 30
    /// Users created at start (ids 1...seedUsers).
    public var seedUsers: Int = 142

    public init(maxAge: Int = 30, seedUsers: Int = 142) {
        self.maxAge = maxAge
        self.seedUsers = seedUsers
    }
}
