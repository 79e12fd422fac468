// RequestTarget: the origin-form path of a request target, whatever form the client sent.

/// Helpers for the request-target forms of RFC 9112 §3.2.
public enum RequestTarget {
    /// For an absolute-form target (`http://host/path?q`) the authority and the origin-form
    /// path (`/path?q`); nil for any other form or scheme.
    public static func absoluteFormPath(of uri: String) -> (authority: String, path: String)? {
        // Origin-form, the usual case, is answered without looking further.
        guard let first = uri.utf8.first, first != UInt8(ascii: "/") else { return nil }
        let lowered = uri.prefix(8).lowercased()
        let schemeLength: Int
        if lowered.hasPrefix("http://") {
            schemeLength = 7
        } else if lowered.hasPrefix("https://") {
            schemeLength = 8
        } else {
            return nil
        }
        let rest = uri.dropFirst(schemeLength)
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else {
            return rest.isEmpty ? nil : (String(rest), "/")
        }
        let authority = String(rest[..<slash])
        guard !authority.isEmpty else { return nil }
        let path = rest[slash...]
        return (authority, path.hasPrefix("/") ? String(path) : "/" + path)
    }

    /// The origin-form target to send upstream: absolute-form is reduced to its path.
    public static func originForm(of uri: String) -> String {
        absoluteFormPath(of: uri)?.path ?? uri
    }

    /// The path of a request target, without query or fragment: `/a/b?q#f` → `/a/b`,
    /// `http://h/a?q` → `/a`. A slice of the target: an origin-form one is not copied.
    public static func path(of uri: String) -> Substring {
        let target = originForm(of: uri)
        // Scanned in place: the generic `firstIndex(where:)` on the UTF-8 view walked it index by
        // index, for every request whose path is matched.
        let scanned = target.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        }
        guard let scanned else {
            return target.prefix { $0 != "?" && $0 != "#" }
        }
        // A UTF-8 offset into a native string is found without walking it.
        let end = target.utf8.index(target.utf8.startIndex, offsetBy: scanned)
        return Substring(target.utf8[..<end])
    }
}
