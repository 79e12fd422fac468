// FuzzProxyPipeline: libFuzzer entry that sends its input through a client connection's real handlers.
import GatehouseCore

/// libFuzzer calls this once per input: raw client bytes into ConnectionGuard → HTTP codec →
/// pipelining → ProxyHandler on an EmbeddedChannel; see `ProxyPipelineHarness`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    ProxyPipelineHarness.shared.run(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
