// MemoryCacheStore+CacheStore: the asynchronous seam over the synchronous memory store (completed futures).
import NIOCore
import NIOHTTP1

extension MemoryCacheStore {
    public func lookup(_ primary: CachePrimaryKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CachePrimaryLookup> {
        eventLoop.makeSucceededFuture(lookup(primary, now: now))
    }

    public func lookup(_ key: CacheKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CacheEntry?> {
        eventLoop.makeSucceededFuture(lookup(key, now: now))
    }

    public func find(
        _ primary: CachePrimaryKey, requestHeaders: @escaping () -> HTTPHeaders, now: CacheTime, on eventLoop: any EventLoop
    ) -> EventLoopFuture<CacheLookupResult> {
        eventLoop.makeSucceededFuture(find(primary, requestHeaders: requestHeaders, now: now))
    }

    public func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        eventLoop.makeSucceededFuture(store(entry, for: key, retention: retention, now: now))
    }

    /// A body that alone, with an entry's fixed overhead, is over the budget never fits (the
    /// entry's cost is at least that much). `max_object_size` is the policy's to judge.
    public func refusesStore(bodyLength: Int?, fetch: CacheFetchStart) -> Bool {
        guard let bodyLength else { return false }
        return bodyLength > budget - CacheEntry.overhead
    }

    public func remove(_ key: CacheKey, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        remove(key)
        return eventLoop.makeSucceededVoidFuture()
    }

    public func purge(_ url: CacheURLKey, on eventLoop: any EventLoop) -> EventLoopFuture<Int> {
        eventLoop.makeSucceededFuture(purge(url))
    }

    public func namespaceVersion(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
        eventLoop.makeSucceededFuture(namespaceVersion(namespace))
    }

    public func bumpNamespace(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
        eventLoop.makeSucceededFuture(bumpNamespace(namespace))
    }

    public func purgeAll(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        purgeAll()
        return eventLoop.makeSucceededVoidFuture()
    }

    public func stats(on eventLoop: any EventLoop) -> EventLoopFuture<CacheStoreStats> {
        eventLoop.makeSucceededFuture(stats)
    }
}
