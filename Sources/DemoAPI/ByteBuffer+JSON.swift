// Hand-written JSON output: the hot answers are built straight into one ByteBuffer, no encoder.
import NIOCore

extension ByteBuffer {
    /// Writes `value` as a JSON string literal, quotes included.
    mutating func writeJSONString(_ value: String) {
        self.writeInteger(UInt8(ascii: "\""))
        // Most strings need no escaping; copy those in one go.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            self.writeString(value)
        } else {
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): self.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
                case UInt8(ascii: "\n"): self.writeStaticString("\\n")
                case UInt8(ascii: "\r"): self.writeStaticString("\\r")
                case UInt8(ascii: "\t"): self.writeStaticString("\\t")
                case 0..<0x20:
                    self.writeStaticString("\\u00")
                    self.writeInteger(Self.hexDigit(byte >> 4))
                    self.writeInteger(Self.hexDigit(byte & 0x0F))
                default:
                    self.writeInteger(byte)
                }
            }
        }
        self.writeInteger(UInt8(ascii: "\""))
    }

    /// Writes an integer as a JSON number.
    mutating func writeJSONNumber(_ value: Int) {
        self.writeString(String(value))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
