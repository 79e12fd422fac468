// FuzzConfigLoader: libFuzzer entry that reads its input as a proxy.conf, the way `gatehouse check` does.
import FuzzSupport
import GatehouseCore

/// libFuzzer calls this once per input. The loader must answer with a config or with problems,
/// each one line of `FILE:LINE: key.path: message`; anything else (a trap, a hang, unbounded
/// memory) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    // ConfigFileReader refuses a file that is not UTF-8 before YAML sees it; decoding with
    // replacement characters instead still lets such inputs reach the YAML parser.
    let text = String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
    do {
        let config = try ConfigLoader.parse(yaml: text, file: "fuzz.conf")
        require(!config.summary.isEmpty, "a valid config has a summary")
    } catch {
        require(!error.issues.isEmpty, "a refused config names at least one problem")
        for issue in error.issues {
            let line = issue.description
            // `gatehouse check` prints one problem per line; a message with a line break in it
            // would read as two problems (or forge one).
            require(!line.contains(where: \.isNewline), "issue spans lines: \(line.debugDescription)")
            require(issue.line.map { $0 >= 1 } ?? true, "issue line \(String(describing: issue.line)) is not 1-based")
        }
    }
    return 0
}
