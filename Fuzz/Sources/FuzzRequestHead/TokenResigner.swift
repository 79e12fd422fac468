// TokenResigner: gives a fuzzed Bearer JWT a valid signature, so its claims get past verification.
import Crypto
import Foundation
import NIOHTTP1

/// A mutated token almost never carries a valid signature, which would leave the claims
/// parser (reached only after the signature holds) unexplored. For a token of three segments,
/// a copy of the headers with the token re-signed by the fuzz secret is checked too.
enum TokenResigner {
    /// `headers` itself, then (when it carries a `Bearer a.b.c` token) a copy with `c` replaced
    /// by the signature of `a.b` under the algorithm named in `a` (HS256 unless it says 384/512).
    static func variants(of headers: HTTPHeaders, secret: String) -> [HTTPHeaders] {
        guard let field = headers.first(name: "authorization") else { return [headers] }
        let prefix = field.prefix { $0 != " " && $0 != "\t" }
        guard prefix.lowercased() == "bearer" else { return [headers] }
        let token = field.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return [headers] }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        let key = SymmetricKey(data: Data(secret.utf8))
        let header = decode(parts[0]).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let signature: Data
        if header.contains("HS512") {
            signature = Data(HMAC<SHA512>.authenticationCode(for: signingInput, using: key))
        } else if header.contains("HS384") {
            signature = Data(HMAC<SHA384>.authenticationCode(for: signingInput, using: key))
        } else {
            signature = Data(HMAC<SHA256>.authenticationCode(for: signingInput, using: key))
        }
        var resigned = headers
        resigned.replaceOrAdd(name: "Authorization", value: "Bearer \(parts[0]).\(parts[1]).\(encode(signature))")
        return [headers, resigned]
    }

    private static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ segment: Substring) -> Data? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text)
    }
}
