// ConnectionGuardRefusal: the event ConnectionGuard sends down the pipeline when it refuses on its own.
import GatehouseCore

/// Fired by `ConnectionGuard` when it answers 408 itself (a head not complete in time), so the
/// proxy handler behind it counts the refusal and logs it; an event rather than a callback, so
/// neither handler holds a reference to the other.
struct ConnectionGuardRefusal {
    let error: GatehouseError
}
