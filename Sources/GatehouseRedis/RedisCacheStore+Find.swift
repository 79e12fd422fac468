// RedisCacheStore+Find: both levels of a lookup (the URL, then the variant) with one promise.
import GatehouseCore
import NIOCore
import NIOHTTP1

extension RedisCacheStore {
    /// The protocol's `find` chains futures (one per step, plus one per answer known at once);
    /// on a hit that is the whole request's hot path, so here the steps are callbacks and only
    /// the answer is a future.
    public func find(
        _ primary: CachePrimaryKey, requestHeaders: @escaping () -> HTTPHeaders, now: CacheTime, on eventLoop: any EventLoop
    ) -> EventLoopFuture<CacheLookupResult> {
        let promise = eventLoop.makePromise(of: CacheLookupResult.self)
        record(under: primary, now: now, on: eventLoop) { first in
            switch first {
            case nil:
                promise.succeed(.uriMiss)
            case .entry(let entry, _):
                promise.succeed(.hit(entry, CacheKey(primary: primary, varyNames: [], requestHeaders: HTTPHeaders())))
            case .varies(let names, _):
                let key = CacheKey(primary: primary, varyNames: names, requestHeaders: requestHeaders())
                self.record(under: key.value, now: now, on: eventLoop) { second in
                    if case .entry(let entry, _) = second {
                        promise.succeed(.hit(entry, key))
                    } else {
                        promise.succeed(.varyMiss(key))
                    }
                }
            }
        }
        return promise.futureResult
    }
}
