// CacheStore+TargetPurge: purges one URL under its namespace's current version, as a write and its retry do.
import GatehouseCore
import NIOCore

extension CacheStore {
    /// Reads `namespace`'s version (none to read without one), notes the URL key in `log` (before
    /// the purge, so a store that checks after the purge sees it) and purges it. Fails when the
    /// store could not read the version or purge.
    func purge(
        _ target: CacheTarget, namespace: String?, keys: CacheKeyBuilder, noting log: CacheInvalidationLog, on eventLoop: any EventLoop
    ) -> EventLoopFuture<Int> {
        let versioned: EventLoopFuture<UInt64> = namespace.map {
            namespaceVersion($0, on: eventLoop)
        } ?? eventLoop.makeSucceededFuture(0)
        return versioned.flatMap { version in
            let url = keys.urlKey(for: target, namespace: namespace, namespaceVersion: version)
            log.record(url)
            return self.purge(url, on: eventLoop)
        }
    }
}
