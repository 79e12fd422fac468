// TestJWT: HS256 tokens made by hand, so identity tests control every field and the signature.
import Crypto
import Foundation

enum TestJWT {
    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token with `claims`, signed HS256 with `secret` (or with `alg` in the header as given).
    static func make(_ claims: [String: Any], secret: String, alg: String = "HS256") -> String {
        let header = base64URL(Data(#"{"alg":"\#(alg)","typ":"JWT"}"#.utf8))
        let payload = base64URL((try? JSONSerialization.data(withJSONObject: claims)) ?? Data())
        let signingInput = header + "." + payload
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signingInput + "." + base64URL(Data(signature))
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}
