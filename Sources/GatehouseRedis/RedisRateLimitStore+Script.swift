// RedisRateLimitStore+Script: the Lua sliding window — SlidingWindow's algorithm, every check of a request at once.

extension RedisRateLimitStore {
    /// KEYS[i]: the counter of check i. ARGV[1]: the caller's time in µs, or "" for Redis `TIME`.
    /// ARGV[2i], ARGV[2i+1]: limit and window (µs) of check i.
    ///
    /// Times are microseconds because Lua numbers are doubles: µs since 1970 (~1.7e15) are exact,
    /// ns (~1.7e18) are not. A counter is the string "latest:count,…" of `SlidingWindow`'s
    /// buckets, oldest first, with the same slot width (window / 32) and bucket capacity
    /// (⌈limit / 32⌉), so both stores decide alike. All checks are probed before anything is
    /// written, and nothing is written unless all admit, so a refusal consumes nothing. An admitted
    /// counter is rewritten with a TTL until its newest admission leaves the window (one window,
    /// unless the clock stepped back): it vanishes once nothing in it counts.
    ///
    /// Returns `{admitted, then per check: admits, counted, retryAfter µs, nextRelease µs or -1}`.
    static let script = RedisScript(#"""
    local now
    if ARGV[1] == '' then
      local t = redis.call('TIME')
      now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    else
      now = tonumber(ARGV[1])
    end
    local slots = 32
    local states = {}

    local function load(key)
      local s = states[key]
      if s then return s end
      s = {}
      local raw = redis.call('GET', key)
      if raw then
        for latest, count in string.gmatch(raw, '(%d+):(%d+)') do
          s[#s + 1] = {tonumber(latest), tonumber(count)}
        end
      end
      states[key] = s
      return s
    end

    -- A time behind the latest admission counts as that admission's time (strictness).
    local function clamp(s, t)
      local n = #s
      if n > 0 and s[n][1] > t then return s[n][1] end
      return t
    end

    local function count(s, t, window)
      t = clamp(s, t)
      local sum = 0
      for i = #s, 1, -1 do
        if t - s[i][1] >= window then break end
        sum = sum + s[i][2]
      end
      return sum
    end

    local function record(s, t, limit, window)
      t = clamp(s, t)
      while #s > 0 and t - s[1][1] >= window do table.remove(s, 1) end
      local width = math.max(math.floor(window / slots), 1)
      local capacity = 1
      if limit > 0 then capacity = math.ceil(limit / slots) end
      local n = #s
      if n > 0 and math.floor(s[n][1] / width) == math.floor(t / width) and s[n][2] < capacity then
        s[n][1] = t
        s[n][2] = s[n][2] + 1
      else
        s[n + 1] = {t, 1}
      end
    end

    local function retryAfter(s, limit, window)
      if limit < 1 then return window end
      local t = clamp(s, now)
      local excess = count(s, t, window) - (limit - 1)
      if excess <= 0 then return 0 end
      for i = 1, #s do
        if t - s[i][1] < window then
          excess = excess - s[i][2]
          if excess <= 0 then return s[i][1] + window - now end
        end
      end
      return window
    end

    local function nextRelease(s, window)
      local t = clamp(s, now)
      for i = 1, #s do
        if t - s[i][1] < window then return s[i][1] + window - now end
      end
      return -1
    end

    local n = #KEYS
    local limits, windows, admits = {}, {}, {}
    local all = true
    for i = 1, n do
      limits[i] = tonumber(ARGV[2 * i])
      windows[i] = tonumber(ARGV[2 * i + 1])
      local pending = 0
      for j = 1, i - 1 do
        if KEYS[j] == KEYS[i] and admits[j] then pending = pending + 1 end
      end
      admits[i] = count(load(KEYS[i]), now, windows[i]) + pending < limits[i]
      if not admits[i] then all = false end
    end

    local reply = {all and 1 or 0}
    local ttls = {}
    for i = 1, n do
      local s = load(KEYS[i])
      if all then
        record(s, now, limits[i], windows[i])
        -- Until the newest admission leaves the window: after a clock stepped back that
        -- admission lies ahead of `now`, and a TTL of one window would drop it early.
        ttls[KEYS[i]] = math.max(ttls[KEYS[i]] or 0, s[#s][1] + windows[i] - now)
      end
      reply[#reply + 1] = admits[i] and 1 or 0
      reply[#reply + 1] = count(s, now, windows[i])
      reply[#reply + 1] = retryAfter(s, limits[i], windows[i])
      reply[#reply + 1] = nextRelease(s, windows[i])
    end

    for key, ttl in pairs(ttls) do
      local parts = {}
      for i, b in ipairs(states[key]) do
        parts[i] = string.format('%d:%d', b[1], b[2])
      end
      redis.call('SET', key, table.concat(parts, ','), 'PX', math.max(math.ceil(ttl / 1000), 1))
    end
    return reply
    """#)
}
