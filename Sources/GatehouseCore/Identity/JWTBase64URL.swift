// JWTBase64URL: strict decoding of the unpadded base64url segments of a compact JWT.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes base64url without padding (RFC 7515 §2), refusing anything else.
///
/// Foundation's decoder speaks the standard alphabet, so the segment is translated first; standard-
/// alphabet characters and padding are refused before that, so one token has one spelling.
enum JWTBase64URL {
    /// The decoded bytes, or nil when `segment` is not unpadded base64url.
    static func decode(_ segment: some Collection<UInt8>) -> Data? {
        var standard: [UInt8] = []
        standard.reserveCapacity(segment.count + 3)
        for byte in segment {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.append(byte)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        switch standard.count % 4 {
        case 1: return nil
        case 2: standard.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 3: standard.append(UInt8(ascii: "="))
        default: break
        }
        return Data(base64Encoded: Data(standard))
    }
}
