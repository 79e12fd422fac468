// FieldNameTests: case-insensitive field-name comparison without lower-casing, and the rewriter's classification.

import Testing
@testable import GatehouseCore

@Suite struct FieldNameTests {
    @Test func comparesIgnoringASCIICaseOnly() {
        #expect(FieldName.equals("Content-Length", "content-length"))
        #expect(FieldName.equals("CONTENT-LENGTH", "content-length"))
        #expect(!FieldName.equals("Content-Lengths", "content-length"))
        #expect(!FieldName.equals("Content-Lengt", "content-length"))
        // Only A–Z fold: `@` (0x40) is not a capital `` ` `` (0x60), nor `[` a capital `{`.
        #expect(!FieldName.equals("@", "`"))
        #expect(!FieldName.equals("x[", "x{"))
        #expect(FieldName.hasPrefix("X-Forwarded-Port", "x-forwarded-"))
        #expect(!FieldName.hasPrefix("X-Forwarde", "x-forwarded-"))
        #expect(FieldName.equals("X-User-Id", lowercased: "x-user-id"))
        #expect(HopByHopHeaders.isAlwaysRemoved("Transfer-Encoding"))
        #expect(HopByHopHeaders.isAlwaysRemoved("KEEP-ALIVE"))
        #expect(!HopByHopHeaders.isAlwaysRemoved("Keep-Alives"))
        #expect(!HopByHopHeaders.isAlwaysRemoved("Host"))
    }

    @Test(arguments: [
        ("content-length", ForwardedFieldKind.contentLength), ("HOST", .host), ("Via", .via),
        ("x-request-id", .requestID), ("X-Forwarded-For", .forwardedFor), ("x-forwarded-proto", .forwardedProto),
        ("X-Forwarded-Host", .forwardedHost), ("X-Forwarded-Port", .otherProxyOnly), ("Forwarded", .otherProxyOnly),
        ("X-Original-URL", .otherProxyOnly), ("x-real-ip", .otherProxyOnly), ("X-Rewrite-Url", .otherProxyOnly),
        ("X-Hostname", .other), ("Forwarding", .other), ("Accept", .other), ("", .other),
    ])
    func classifiesWhatTheRewriterTreatsSpecially(name: String, kind: ForwardedFieldKind) {
        #expect(ForwardedFieldKind(name) == kind)
    }
}
