// ForwardedFieldKind: what a request field is to the upstream head's rewriter.

/// The fields `RequestHeadRewriter` treats specially, told apart by length and first letter
/// before any comparison: most fields are `.other` after a switch and no byte compared.
enum ForwardedFieldKind {
    case contentLength
    case host
    case via
    case requestID
    case forwardedFor
    case forwardedProto
    case forwardedHost
    /// Every other `X-Forwarded-*` field and each of `RequestHeadRewriter.proxyOnlyFields`.
    case otherProxyOnly
    case other

    init(_ name: String) {
        guard let first = name.utf8.first else {
            self = .other
            return
        }
        switch first | 0x20 {
        case UInt8(ascii: "c"):
            self = FieldName.equals(name, "content-length") ? .contentLength : .other
        case UInt8(ascii: "h"):
            self = FieldName.equals(name, "host") ? .host : .other
        case UInt8(ascii: "v"):
            self = FieldName.equals(name, "via") ? .via : .other
        case UInt8(ascii: "f"):
            self = FieldName.equals(name, "forwarded") ? .otherProxyOnly : .other
        case UInt8(ascii: "x"):
            self = Self.xField(name)
        default:
            self = .other
        }
    }

    private static func xField(_ name: String) -> ForwardedFieldKind {
        if FieldName.hasPrefix(name, "x-forwarded-") {
            if FieldName.equals(name, "x-forwarded-for") { return .forwardedFor }
            if FieldName.equals(name, "x-forwarded-proto") { return .forwardedProto }
            if FieldName.equals(name, "x-forwarded-host") { return .forwardedHost }
            return .otherProxyOnly
        }
        if FieldName.equals(name, "x-request-id") { return .requestID }
        return RequestHeadRewriter.proxyOnlyFields.contains { FieldName.equals(name, lowercased: $0) } ? .otherProxyOnly : .other
    }
}
