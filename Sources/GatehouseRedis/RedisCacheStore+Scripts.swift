// RedisCacheStore+Scripts: the Lua that keeps an entry, its primary slot and its URL's index consistent.

extension RedisCacheStore {
    /// KEYS: primary key, entry key (the primary itself without Vary), URL index, the URL's
    /// purge mark. ARGV: Vary names joined by "," ("" for none), the entry record, TTL ms,
    /// expires (s), and the second the fetch began ("0": no check). Returns 1, or 0 when a
    /// purge marked the URL at or after that second less one (clocks of instances apart).
    ///
    /// Without Vary the entry lives under the primary key. With Vary the primary holds the `V`
    /// record (its TTL and `expires` the longest of its variants') and the entry its own key.
    /// Different Vary names from the stored ones drop the old variants first, as the memory
    /// store does. The index lists every entry key of the URL, plus `#`-marked slot keys, so
    /// `purge` finds all users and variants; dead members are pruned once it grows.
    static let storeScript = RedisScript(#"""
    local primary, entryKey, index = KEYS[1], KEYS[2], KEYS[3]
    local names, record, ttl, expires = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local fetchBegan = tonumber(ARGV[5]) or 0
    local slotMember = '#' .. primary

    if fetchBegan > 0 then
      local purged = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
      if purged >= fetchBegan - 1 then return 0 end
    end

    local current = redis.call('GET', primary)
    local keptExpires, keptTtl = 0, 0
    if current and string.sub(current, 1, 1) == 'V' then
      local oldExpires, oldNames = string.match(current, '^V(%d+)\n(.*)$')
      if oldNames == names then
        keptExpires = tonumber(oldExpires) or 0
        keptTtl = redis.call('PTTL', primary)
      else
        local prefix = primary .. 'v'
        for _, member in ipairs(redis.call('SMEMBERS', index)) do
          if string.sub(member, 1, #prefix) == prefix then
            redis.call('DEL', member)
            redis.call('SREM', index, member)
          end
        end
      end
    end

    if names == '' then
      redis.call('SET', primary, record, 'PX', ttl)
      redis.call('SREM', index, slotMember)
      redis.call('SADD', index, primary)
    else
      local slot = 'V' .. string.format('%d', math.max(expires, keptExpires)) .. '\n' .. names
      redis.call('SET', primary, slot, 'PX', math.max(ttl, keptTtl))
      redis.call('SREM', index, primary)
      redis.call('SET', entryKey, record, 'PX', ttl)
      redis.call('SADD', index, slotMember, entryKey)
    end

    if redis.call('SCARD', index) > 64 then
      for _, member in ipairs(redis.call('SMEMBERS', index)) do
        local key = member
        if string.sub(member, 1, 1) == '#' then key = string.sub(member, 2) end
        if redis.call('EXISTS', key) == 0 then redis.call('SREM', index, member) end
      end
    end
    if redis.call('PTTL', index) < math.max(ttl, keptTtl) then
      redis.call('PEXPIRE', index, math.max(ttl, keptTtl))
    end
    return 1
    """#)

    /// KEYS: primary key, entry key, URL index. Drops one entry; a slot left without live
    /// variants goes too, so the URL reads as a miss again.
    static let removeScript = RedisScript(#"""
    local primary, entryKey, index = KEYS[1], KEYS[2], KEYS[3]
    if entryKey == primary then
      local current = redis.call('GET', primary)
      if current and string.sub(current, 1, 1) == 'E' then
        redis.call('DEL', primary)
        redis.call('SREM', index, primary)
      end
      return 0
    end
    redis.call('DEL', entryKey)
    redis.call('SREM', index, entryKey)
    local prefix = primary .. 'v'
    for _, member in ipairs(redis.call('SMEMBERS', index)) do
      if string.sub(member, 1, #prefix) == prefix and redis.call('EXISTS', member) == 1 then
        return 0
      end
    end
    redis.call('DEL', primary)
    redis.call('SREM', index, '#' .. primary)
    return 0
    """#)

    /// KEYS: URL index, the URL's purge mark, the URL's shared primary key. ARGV: the second
    /// now, how long the mark lasts (s). Drops every member and the index, and marks the URL
    /// purged at that second (keeping a later mark), so a store of a fetch begun before it is
    /// refused; returns how many entries existed.
    ///
    /// The shared primary goes by name as well: an index is touched only by stores while a hot
    /// entry is read on every hit, so a Redis evicting least recently used keys drops the index
    /// first, and the purge would find nothing. Without its primary (its entry, or the Vary
    /// names its variants are found by) no shared response of the URL is found any more.
    static let purgeScript = RedisScript(#"""
    local now = tonumber(ARGV[1]) or 0
    local marked = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
    redis.call('SET', KEYS[2], tostring(math.max(now, marked)), 'EX', tonumber(ARGV[2]) or 600)
    local removed = 0
    for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      if string.sub(member, 1, 1) == '#' then
        redis.call('DEL', string.sub(member, 2))
      else
        removed = removed + redis.call('DEL', member)
      end
    end
    redis.call('DEL', KEYS[1])
    local shared = redis.call('GET', KEYS[3])
    if shared then
      if string.sub(shared, 1, 1) == 'E' then removed = removed + 1 end
      redis.call('DEL', KEYS[3])
    end
    return removed
    """#)
}
