// RedisCacheStore+Refusal: the stores known to fail before they are tried, for Cache-Status.
import GatehouseCore

extension RedisCacheStore {
    /// Sure to be refused: no connection to Redis is up (the store's write would fail), the fetch
    /// knew no purge epoch (`store` refuses it), or the body is over `max_object_size`. A Redis
    /// that is up now may still fail or refuse the write (a purge mark, a new epoch, a timeout):
    /// only the store's answer, after the head went out, knows that.
    public func refusesStore(bodyLength: Int?, fetch: CacheFetchStart) -> Bool {
        fetch.epoch == nil || !client.isConnected || (bodyLength ?? 0) > maxObjectSize
    }
}
