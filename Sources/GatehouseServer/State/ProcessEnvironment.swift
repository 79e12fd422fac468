// ProcessEnvironment: reads environment variables (the admin token, secrets) at the moment of use.
#if canImport(Glibc)
import Glibc
#endif

enum ProcessEnvironment {
    /// The variable's value, or nil when unset.
    static func value(of name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}
