-- bench-spread.lua: wrk script for scenario (b), GETs of /bytes/1024?k=N with N uniform in 1..10000.
-- The 10,000 URLs are warmed into both caches before the run, so every request should be a hit.

local urls = 10000

-- Each wrk thread has its own Lua state; seed each differently so threads don't walk in lockstep.
function setup(thread)
    thread:set("seed", math.random(1, 2147483647))
end

function init(args)
    math.randomseed((seed or os.time()) + os.time())
end

function request()
    return wrk.format("GET", "/bytes/1024?k=" .. math.random(1, urls))
end
