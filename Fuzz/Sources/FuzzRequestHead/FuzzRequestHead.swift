// FuzzRequestHead: libFuzzer entry that parses its input as client bytes the way the proxy listener does.
import GatehouseCore

/// libFuzzer calls this once per input: raw HTTP/1.1 bytes from a client, decoded by NIO with
/// the listener's settings, every head then put through Gatehouse's request-head logic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    RequestHeadHarness.run(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
