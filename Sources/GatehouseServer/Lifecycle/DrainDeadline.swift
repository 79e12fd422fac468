// DrainDeadline: what each client connection left open is told when a drain runs out of time.

/// Sent through every client connection still open when a drain ends without them (its
/// `drain_timeout` passed, or an operator's second signal cut it short). A request not yet
/// answered is answered 503 `UNAVAILABLE` with `Connection: close` before its connection
/// closes, so its client can retry elsewhere at once and the access log says the proxy gave
/// up (503) rather than that the client left (499). A response under way is cut.
struct DrainDeadline: Sendable {}
