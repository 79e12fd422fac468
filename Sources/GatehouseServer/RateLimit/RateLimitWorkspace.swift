// RateLimitWorkspace: what one connection's rate-limit stage reuses from one request to the next.
import GatehouseCore

/// Each rate-limited request needs a checks array, a results array and its IP-keyed store keys;
/// a connection keeps them here and hands them back for its next request, so a keep-alive client
/// costs those allocations once per connection rather than once per request. An array still
/// held elsewhere (an outcome whose response is not written yet) is copied on write as usual.
struct RateLimitWorkspace {
    var checks: [RateLimitCheck] = []
    var results: [RateLimitResult] = []
    var clientKeys = RateLimitClientKeys()
}
