// FuzzResponseParser: libFuzzer entry for the upstream response parser, checked against itself and NIO's decoder.
import FuzzSupport

/// libFuzzer calls this once per input: a flags byte, then the bytes an origin sends; see
/// `ResponseParserHarness`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    ResponseParserHarness.run(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
