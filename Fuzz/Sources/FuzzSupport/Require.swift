// Require: the fuzz targets' assertion, whose message survives a release build.

/// Traps with `message` when `condition` is false. `precondition` drops its message under -O,
/// and a finding without its reason is much harder to read; `fatalError` keeps it.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError(message(), file: file, line: line)
    }
}
