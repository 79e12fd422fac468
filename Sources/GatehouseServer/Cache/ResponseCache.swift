// ResponseCache: the cache stage of one runtime — policy from the config, store and flights shared across reloads.
import GatehouseCore
import NIOCore

/// What the data path needs to cache: the policy (rules, keys, freshness) built from the
/// current config, and the store and single-flight table, which a reload keeps when the store
/// settings are unchanged so a reload does not empty the cache.
final class ResponseCache: Sendable {
    let policy: CachePolicy
    let store: any CacheStore
    let flights: CacheFlights
    private let storeSettings: StoreSettings

    private struct StoreSettings: Equatable {
        let kind: CacheStoreKind
        let budget: Int
        let maxObjectSize: Int
    }

    /// nil when `cache.store` is off.
    static func make(config: CacheConfig, previous: ResponseCache?) -> ResponseCache? {
        guard config.store != .off else { return nil }
        let settings = StoreSettings(kind: config.store, budget: config.memoryBudget, maxObjectSize: config.maxObjectSize)
        if let previous, previous.storeSettings == settings {
            return ResponseCache(policy: CachePolicy(config: config), store: previous.store, flights: previous.flights, settings: settings)
        }
        // The Redis store arrives with the Redis issue; until then every store is memory.
        let store = MemoryCacheStore(budget: config.memoryBudget, maxObjectSize: config.maxObjectSize)
        return ResponseCache(policy: CachePolicy(config: config), store: store, flights: CacheFlights(), settings: settings)
    }

    private init(policy: CachePolicy, store: any CacheStore, flights: CacheFlights, settings: StoreSettings) {
        self.policy = policy
        self.store = store
        self.flights = flights
        self.storeSettings = settings
    }

    /// The primary key of `request`, after reading its namespace's current version.
    func primaryKey(for request: CacheableRequest, on eventLoop: any EventLoop) -> EventLoopFuture<CachePrimaryKey> {
        guard let namespace = request.rule?.namespace else {
            return eventLoop.makeSucceededFuture(policy.keys.primaryKey(for: request, namespaceVersion: 0))
        }
        let policy = self.policy
        return store.namespaceVersion(namespace, on: eventLoop).map { version in
            policy.keys.primaryKey(for: request, namespaceVersion: version)
        }
    }

    /// Applies what a successful write invalidates (RFC 9111 §4.4): purges its URLs (under the
    /// current namespace versions), then bumps the namespaces. Completes when done, so the
    /// writer's response goes out after its effect on the cache.
    func invalidate(_ invalidation: CacheInvalidation, on eventLoop: any EventLoop) -> EventLoopFuture<Int> {
        let store = self.store
        let policy = self.policy
        let purges = invalidation.targets.map { target -> EventLoopFuture<Int> in
            let versioned: EventLoopFuture<UInt64> = policy.namespace(of: target).map {
                store.namespaceVersion($0, on: eventLoop)
            } ?? eventLoop.makeSucceededFuture(0)
            return versioned.flatMap { version in
                store.purge(policy.urlKey(for: target, namespaceVersion: version), on: eventLoop)
            }
        }
        return EventLoopFuture.whenAllComplete(purges, on: eventLoop).flatMap { results in
            let purged = results.reduce(0) { $0 + ((try? $1.get()) ?? 0) }
            let bumps = invalidation.namespaces.map { store.bumpNamespace($0, on: eventLoop) }
            return EventLoopFuture.whenAllComplete(bumps, on: eventLoop).map { _ in purged }
        }
    }
}
