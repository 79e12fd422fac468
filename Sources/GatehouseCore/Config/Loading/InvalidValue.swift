// InvalidValue: why a piece of config text could not be turned into a value.

/// A parser's complaint about one value; the reader adds the file, line and path.
struct InvalidValue: Error, Equatable {
    /// What is wrong, e.g. `"60" needs a unit (ms, s, m, h), e.g. "60s"`.
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
