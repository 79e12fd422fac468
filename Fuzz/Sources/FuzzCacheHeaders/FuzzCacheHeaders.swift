// FuzzCacheHeaders: libFuzzer entry for the cache's header parsers and the entries made from them.
import GatehouseCore

/// libFuzzer calls this once per input: field lines (`Name: value`, one a line) used as an
/// upstream response's and a client request's headers; see `CacheHeaderHarness`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    CacheHeaderHarness.run(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
