// RequestBodyFraming: how a request's body is delimited, decided once from its head.
import NIOHTTP1

/// How the body of a request is delimited on the wire (RFC 9112 §6).
public enum RequestBodyFraming: Sendable, Equatable {
    /// No body at all.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`; the length is known only at the end.
    case chunked

    /// Decides the framing of `head`, refusing the shapes that make request smuggling possible:
    /// Content-Length together with Transfer-Encoding, several Content-Lengths, a Transfer-Encoding
    /// other than exactly `chunked`, a TRACE with a body, and a declared body larger than
    /// `maxBodyBytes` (413).
    public static func of(_ head: HTTPRequestHead, maxBodyBytes: Int) -> Result<RequestBodyFraming, GatehouseError> {
        let framing = bodyFraming(of: head, maxBodyBytes: maxBodyBytes)
        // RFC 9110 §9.3.8: a TRACE carries no content. NIO's request encoder, which writes the
        // upstream request, drops Content-Length and Transfer-Encoding from a TRACE but still
        // writes the body: the origin would read it as a second request (caught by FuzzRequestHead).
        if head.method == .TRACE, case .success(let body) = framing, body != .none {
            return .failure(GatehouseError(.badRequest, "A TRACE request must not have a body"))
        }
        return framing
    }

    private static func bodyFraming(of head: HTTPRequestHead, maxBodyBytes: Int) -> Result<RequestBodyFraming, GatehouseError> {
        // Most requests have neither field: one pass settles that, where the two canonical-form
        // lookups below each split and collect values.
        guard head.headers.contains(where: { isFramingField($0.name) }) else {
            return .success(.none)
        }
        let lengths = head.headers[canonicalForm: "content-length"]
        let encodings = head.headers[canonicalForm: "transfer-encoding"]
        if !lengths.isEmpty && !encodings.isEmpty {
            return .failure(GatehouseError(.badRequest, "Content-Length and Transfer-Encoding must not both be sent"))
        }
        if !encodings.isEmpty {
            guard encodings.count == 1, encodings[0].lowercased() == "chunked" else {
                return .failure(GatehouseError(.badRequest, "Only Transfer-Encoding: chunked is accepted"))
            }
            return .success(.chunked)
        }
        guard !lengths.isEmpty else {
            return .success(.none)
        }
        guard lengths.count == 1, let length = Int(lengths[0]), length >= 0,
              lengths[0].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            return .failure(GatehouseError(.badRequest, "Content-Length must be one non-negative integer"))
        }
        if length > maxBodyBytes {
            return .failure(GatehouseError(
                .payloadTooLarge,
                "Request body of \(length) bytes exceeds the limit of \(maxBodyBytes) bytes"
            ))
        }
        return .success(length == 0 ? .none : .contentLength(length))
    }

    private static func isFramingField(_ name: String) -> Bool {
        FieldName.equals(name, "content-length") || FieldName.equals(name, "transfer-encoding")
    }
}
