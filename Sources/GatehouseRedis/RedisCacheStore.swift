// RedisCacheStore: the response cache in Redis — one key per entry with its TTL, shared by every instance.
import GatehouseCore
import NIOConcurrencyHelpers
import NIOCore

/// A `CacheStore` in Redis, so N Gatehouse instances share one cache and one set of namespace
/// versions.
///
/// Keys (the URL key starts with its `{hash}` tag, so one URL's keys share a Cluster slot):
/// - entry or slot: `keyPrefix + "e" + epoch + ":" + key value`, value a ``Record``, TTL = retention
///   (stored under the epoch its fetch went upstream in, so a `purgeAll` meanwhile hides it too);
/// - URL index: `keyPrefix + "i" + epoch + ":" + URL key`, a SET of the URL's keys, for `purge`;
/// - namespace version: `keyPrefix + "ns:" + name` (INCR), no TTL;
/// - purge epoch: `keyPrefix + "epoch"` (INCR on `purgeAll`), see ``EpochCache``;
/// - purge mark: `keyPrefix + "w:" + URL key`, the second of the URL's last purge, 10 minutes.
///
/// A lookup is one GET (two for a response with `Vary`); writes are one script each, atomic with
/// the index. Redis failing never fails a request: lookups answer miss, `store` answers false,
/// the other operations fail their future for the caller to log.
public final class RedisCacheStore: CacheStore {
    public let client: RedisClient
    public let keyPrefix: String
    /// Largest body stored (`cache.max_object_size`).
    public let maxObjectSize: Int
    private let epoch: EpochCache
    private let counters = NIOLockedValueBox(CacheStoreStats())
    /// Records decoded lately, so a hot key's hits don't decode the same bytes again.
    private let memo = RecordMemo()

    /// - Parameters:
    ///   - keyPrefix: `redis.key_prefix`; must contain neither `{` (it would become the hash tag)
    ///     nor start with `#` (the index's slot marker).
    ///   - epochRefresh: how long a `purgeAll` through another instance may go unseen here.
    public init(client: RedisClient, keyPrefix: String, maxObjectSize: Int = .max, epochRefresh: Duration = .seconds(1)) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.maxObjectSize = maxObjectSize
        let (seconds, attoseconds) = epochRefresh.components
        self.epoch = EpochCache(
            key: keyPrefix + "epoch",
            refreshInterval: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        )
    }

    public func lookup(_ primary: CachePrimaryKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CachePrimaryLookup> {
        answer(on: eventLoop) { self.record(under: primary, now: now, on: eventLoop, $0) }.map { record in
            switch record {
            case .entry(let entry, _): .entry(entry)
            case .varies(let names, _): .varies(on: names)
            case nil: .miss
            }
        }
    }

    public func lookup(_ key: CacheKey, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<CacheEntry?> {
        answer(on: eventLoop) { self.record(under: key.value, now: now, on: eventLoop, $0) }.map { record in
            guard case .entry(let entry, _) = record else { return nil }
            return entry
        }
    }

    public func store(_ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        store(entry, for: key, retention: retention, now: now, fetchBeganSecond: 0, fetchEpoch: nil, on: eventLoop)
    }

    /// Refused when the URL's purge mark (set by any instance's `purge`) is at or after
    /// `fetch.time` less a second, and when the epoch has moved on from `fetch.epoch` (a
    /// `purgeAll` through any instance since the fetch went upstream) or that was not known.
    public func store(
        _ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, fetch: CacheFetchStart, on eventLoop: any EventLoop
    ) -> EventLoopFuture<Bool> {
        // No epoch known when the fetch went upstream: its lookup could not read one, and a
        // purge of everything may have come since. A miss more, never a stale entry.
        guard let fetchEpoch = fetch.epoch else { return eventLoop.makeSucceededFuture(false) }
        return store(
            entry, for: key, retention: retention, now: now, fetchBeganSecond: max(fetch.time.secondsSince1970, 1), fetchEpoch: fetchEpoch,
            on: eventLoop
        )
    }

    /// The local copy of the epoch, fresh or not (no round trip: every miss reads it).
    public var purgeEpoch: UInt64? {
        epoch.known
    }

    /// With a `fetchEpoch`, the entry goes under that epoch's keys, not under the one current
    /// when the fetch ends: a `purgeAll` through another instance meanwhile leaves it where
    /// nobody reads (however late this instance's copy learns of it). When the epoch known now
    /// already differs, nothing is written at all.
    private func store(
        _ entry: CacheEntry, for key: CacheKey, retention: Int64, now: CacheTime, fetchBeganSecond: Int64, fetchEpoch: UInt64?,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Bool> {
        guard retention > 0, key.varyNames == entry.varyNames, entry.storedBody.count <= maxObjectSize else {
            counters.withLockedValue { $0.refused += 1 }
            return eventLoop.makeSucceededFuture(false)
        }
        let expires = (now + retention).secondsSince1970
        let ttl = Int(clamping: retention.multipliedReportingOverflow(by: 1000).overflow ? .max : retention * 1000)
        let value = Record.encodeEntry(entry, expires: expires)
        let names = key.varyNames.joined(separator: String(Record.nameSeparator))
        return epoch.current(client: client, on: eventLoop).flatMap { current in
            let epoch = fetchEpoch ?? current
            guard epoch == current else { return eventLoop.makeSucceededFuture(RedisValue.integer(0)) }
            return self.client.evalsha(
                Self.storeScript,
                keys: [
                    .string(self.entryKey(key.primary.value, epoch)), .string(self.entryKey(key.value, epoch)),
                    .string(self.indexKey(key.url, epoch)), .string(self.purgeMarkKey(key.url)),
                ],
                arguments: [
                    .string(names), .buffer(value), .integer(ttl), .integer(Int(min(expires, Record.latestExpiry))),
                    .integer(Int(fetchBeganSecond)),
                ],
                on: eventLoop
            )
        }
        .map { reply in
            guard reply.integer == 1 else { return false }
            self.counters.withLockedValue { $0.stores += 1 }
            return true
        }
        .recover { _ in false }
    }

    public func remove(_ key: CacheKey, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        epoch.current(client: client, on: eventLoop).flatMap { epoch in
            self.client.evalsha(
                Self.removeScript,
                keys: [.string(self.entryKey(key.primary.value, epoch)), .string(self.entryKey(key.value, epoch)), .string(self.indexKey(key.url, epoch))],
                on: eventLoop
            )
        }
        .map { _ in () }
    }

    public func purge(_ url: CacheURLKey, on eventLoop: any EventLoop) -> EventLoopFuture<Int> {
        epoch.current(client: client, on: eventLoop).flatMap { epoch in
            self.client.evalsha(
                Self.purgeScript,
                keys: [.string(self.indexKey(url, epoch)), .string(self.purgeMarkKey(url)), .string(self.entryKey(url.sharedPrimary.value, epoch))],
                arguments: [.integer(Int(CacheTime.now().secondsSince1970)), .integer(Self.purgeMarkSeconds)],
                on: eventLoop
            )
        }
        .flatMapThrowing { reply in
            guard let removed = reply.integer else { throw RedisError.unexpectedReply(reply) }
            return removed
        }
    }

    public func namespaceVersion(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
        client.get(.string(namespaceKey(namespace)), on: eventLoop).map { value in
            value.flatMap { UInt64(String(buffer: $0)) } ?? 0
        }
    }

    public func bumpNamespace(_ namespace: String, on eventLoop: any EventLoop) -> EventLoopFuture<UInt64> {
        client.incr(.string(namespaceKey(namespace)), on: eventLoop).map { UInt64(max($0, 0)) }
    }

    /// One INCR: every entry written before is unreachable here at once, on other instances
    /// within their epoch refresh, and leaves Redis by its own TTL.
    public func purgeAll(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let sent = NIODeadline.now()
        return client.incr(.string(epoch.key), on: eventLoop).map { value in
            _ = self.epoch.remember(UInt64(max(value, 0)), sentAt: sent)
        }
    }

    /// Approximate: `stores` and `refused` count this instance's writes; `entries` is the
    /// database's DBSIZE (every key in it, indexes and other users' keys included) and `bytes`
    /// Redis' `used_memory`. Evictions and expirations happen inside Redis and stay 0.
    public func stats(on eventLoop: any EventLoop) -> EventLoopFuture<CacheStoreStats> {
        let local = counters.withLockedValue { $0 }
        let size = client.send(["DBSIZE"], on: eventLoop)
        let memory = client.send(["INFO", "memory"], on: eventLoop)
        return size.and(memory).map { size, memory in
            var stats = local
            stats.entries = size.integer ?? 0
            stats.bytes = memory.string.flatMap(Self.usedMemory) ?? 0
            return stats
        }
    }

    /// What a `record(under:…)` call hands its callback, as a future.
    private func answer(on eventLoop: any EventLoop, _ lookup: (@escaping (Record?) -> Void) -> Void) -> EventLoopFuture<Record?> {
        let promise = eventLoop.makePromise(of: Record?.self)
        lookup { promise.succeed($0) }
        return promise.futureResult
    }

    /// The live record under `keyValue`, or nil (missing, malformed, expired at `now`, or Redis
    /// failing), through a callback, called on `eventLoop`: a lookup is a chain of
    /// steps, and as futures each step allocated one and looked up its generic metadata at run
    /// time (about a fifth of a Redis hit's CPU).
    func record(under keyValue: String, now: CacheTime, on eventLoop: any EventLoop, _ done: @escaping (Record?) -> Void) {
        record(under: keyValue, requiringIndexOf: nil, now: now, on: eventLoop, done)
    }

    /// The record under a primary key. One user's (a `per_user` rule) only while its URL's
    /// index is there: a purge finds a user's entries through the index alone, and a Redis
    /// evicting least recently used keys may have dropped the index (touched only by stores)
    /// before the entry, so the purge missed it. Asking also keeps the index as recent as the
    /// entry. (A shared primary is deleted by name by every purge.)
    func record(under primary: CachePrimaryKey, now: CacheTime, on eventLoop: any EventLoop, _ done: @escaping (Record?) -> Void) {
        record(under: primary.value, requiringIndexOf: primary.isShared ? nil : primary.url, now: now, on: eventLoop, done)
    }

    private func record(
        under keyValue: String, requiringIndexOf url: CacheURLKey?, now: CacheTime, on eventLoop: any EventLoop, _ done: @escaping (Record?) -> Void
    ) {
        if let epoch = epoch.fresh() {
            fetchRecord(under: entryKey(keyValue, epoch), index: url.map { indexKey($0, epoch) }, now: now, on: eventLoop, done)
            return
        }
        epoch.current(client: client, on: eventLoop).whenComplete { result in
            guard case .success(let epoch) = result else {
                done(nil)
                return
            }
            self.fetchRecord(under: self.entryKey(keyValue, epoch), index: url.map { self.indexKey($0, epoch) }, now: now, on: eventLoop, done)
        }
    }

    /// The live record under `key`; with an `index`, only while that index exists (asked at once,
    /// in parallel with the record).
    private func fetchRecord(under key: String, index: String?, now: CacheTime, on eventLoop: any EventLoop, _ done: @escaping (Record?) -> Void) {
        guard let index else {
            fetchRecord(under: key, now: now, on: eventLoop, done)
            return
        }
        let indexed = client.send(["EXISTS", .string(index)], on: eventLoop)
        fetchRecord(under: key, now: now, on: eventLoop) { record in
            guard let record else {
                done(nil)
                return
            }
            indexed.whenComplete { result in
                guard case .success(.integer(1)) = result else {
                    done(nil)
                    return
                }
                done(record)
            }
        }
    }

    private func fetchRecord(under key: String, now: CacheTime, on eventLoop: any EventLoop, _ done: @escaping (Record?) -> Void) {
        client.send(["GET", .string(key)], on: eventLoop).whenComplete { result in
            if case .success(.error(let message)) = result {
                // A key of another type (another program's) or a Redis refusing reads: a miss,
                // and a Redis error to count.
                self.client.errorReplied(message)
            }
            guard case .success(.bulkString(let value)) = result,
                  let record = self.memo.record(under: key, decoding: value),
                  record.expires > now.secondsSince1970
            else {
                done(nil)
                return
            }
            done(record)
        }
    }

    private func entryKey(_ keyValue: String, _ epoch: UInt64) -> String {
        keyPrefix + "e" + String(epoch) + ":" + keyValue
    }

    private func indexKey(_ url: CacheURLKey, _ epoch: UInt64) -> String {
        keyPrefix + "i" + String(epoch) + ":" + url.value
    }

    /// When the URL was last purged (any epoch): what a store of a fetch begun before is refused by.
    private func purgeMarkKey(_ url: CacheURLKey) -> String {
        keyPrefix + "w:" + url.value
    }

    /// How long a purge mark outlives its purge: longer than any fetch that could still store.
    static let purgeMarkSeconds = 600

    private func namespaceKey(_ namespace: String) -> String {
        keyPrefix + "ns:" + namespace
    }

    /// `used_memory:<bytes>` from an `INFO memory` reply.
    private static func usedMemory(in info: String) -> Int? {
        info.split(whereSeparator: \.isNewline)
            .first { $0.hasPrefix("used_memory:") }
            .flatMap { Int($0.dropFirst("used_memory:".count)) }
    }
}
