// Parses one HTTP/1.1 response out of raw received bytes, independently of NIO's decoder.

/// A deliberately independent parser: tests that check a proxy's framing should not trust the same
/// decoder the proxy uses. Lines may end in CRLF or a bare LF.
enum RawHTTPResponseParser {
    enum Outcome {
        /// The bytes so far are a prefix of a response.
        case needMoreBytes
        /// A whole response, taking the first `consumed` bytes.
        case response(TestHTTPResponse, consumed: Int)
    }

    private enum Framing {
        case noBody
        case contentLength(Int)
        case chunked
        case untilClose
    }

    /// Parses the response at the start of `bytes`. `atEOF` says no more bytes will come, which
    /// ends a body framed by the connection closing.
    static func parse(_ bytes: UnsafeRawBufferPointer, forHEAD: Bool, atEOF: Bool) throws -> Outcome {
        guard let (headLines, bodyStart) = Self.headLines(bytes) else { return .needMoreBytes }
        guard let statusLine = headLines.first else { throw Self.invalid("empty response head") }
        let status = try Self.status(from: statusLine)
        let headers = try headLines.dropFirst().map(Self.field(from:))
        var response = TestHTTPResponse(status: status, headers: headers)

        switch try Self.framing(status: status, headers: headers, forHEAD: forHEAD) {
        case .noBody:
            return .response(response, consumed: bodyStart)
        case .contentLength(let length):
            guard bytes.count - bodyStart >= length else { return .needMoreBytes }
            response.body = Array(bytes[bodyStart..<(bodyStart + length)])
            return .response(response, consumed: bodyStart + length)
        case .chunked:
            guard let (body, trailers, end) = try Self.chunkedBody(bytes, from: bodyStart) else {
                return .needMoreBytes
            }
            response.body = body
            response.trailers = trailers
            return .response(response, consumed: end)
        case .untilClose:
            guard atEOF else { return .needMoreBytes }
            response.body = Array(bytes[bodyStart...])
            return .response(response, consumed: bytes.count)
        }
    }
}

extension RawHTTPResponseParser {
    private static func invalid(_ reason: String) -> TestHTTPClientError {
        .invalidResponse(reason)
    }

    /// The line starting at `start` without its line ending, and the offset after that ending;
    /// nil while the line is still incomplete.
    private static func line(in bytes: UnsafeRawBufferPointer, from start: Int) -> (String, next: Int)? {
        guard start < bytes.count, let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            return nil
        }
        var end = newline
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return (String(decoding: bytes[start..<end], as: UTF8.self), newline + 1)
    }

    /// The lines of the head (status line first) and where the body starts, or nil if the empty
    /// line ending the head has not arrived yet.
    private static func headLines(_ bytes: UnsafeRawBufferPointer) -> ([String], Int)? {
        var lines: [String] = []
        var offset = 0
        while let (line, next) = Self.line(in: bytes, from: offset) {
            offset = next
            if line.isEmpty {
                return (lines, offset)
            }
            lines.append(line)
        }
        return nil
    }

    private static func status(from line: String) throws -> Int {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else {
            throw Self.invalid("bad status line: \(line)")
        }
        guard parts[1].count == 3, parts[1].allSatisfy(\.isASCIIDigit), let status = Int(parts[1]) else {
            throw Self.invalid("bad status code: \(line)")
        }
        return status
    }

    private static func field(from line: String) throws -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw Self.invalid("bad header line: \(line)")
        }
        let name = String(line[..<colon])
        guard !name.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw Self.invalid("whitespace in header name: \(line)")
        }
        return (name, Self.trimmed(line[line.index(after: colon)...]))
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
            let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }

    /// RFC 9112 §6.3, in the order it gives.
    private static func framing(
        status: Int,
        headers: [(name: String, value: String)],
        forHEAD: Bool
    ) throws -> Framing {
        if forHEAD || (100..<200).contains(status) || status == 204 || status == 304 {
            return .noBody
        }
        let values: (String) -> [String] = { name in
            headers.filter { TestHeaderName.matches($0.name, name) }
                .flatMap { $0.value.split(separator: ",") }
                .map { Self.trimmed($0) }
        }
        let codings = values("Transfer-Encoding")
        if !codings.isEmpty {
            return codings.last?.lowercased() == "chunked" ? .chunked : .untilClose
        }
        let lengths = values("Content-Length")
        guard let firstLength = lengths.first else { return .untilClose }
        guard lengths.allSatisfy({ $0 == firstLength }), firstLength.allSatisfy(\.isASCIIDigit),
            let length = Int(firstLength)
        else {
            throw Self.invalid("bad Content-Length: \(lengths)")
        }
        return .contentLength(length)
    }

    /// The decoded body, the trailer fields and the offset after the last chunk; nil while
    /// incomplete.
    private static func chunkedBody(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int
    ) throws -> ([UInt8], [(name: String, value: String)], Int)? {
        var body: [UInt8] = []
        var offset = start
        while true {
            guard let (sizeLine, dataStart) = Self.line(in: bytes, from: offset) else { return nil }
            let sizeText = Self.trimmed(sizeLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0])
            guard !sizeText.isEmpty, sizeText.allSatisfy(\.isHexDigit), let size = Int(sizeText, radix: 16) else {
                throw Self.invalid("bad chunk size line: \(sizeLine)")
            }
            if size == 0 {
                return try Self.trailers(bytes, from: dataStart).map { (body, $0.0, $0.1) }
            }
            guard bytes.count - dataStart >= size else { return nil }
            body.append(contentsOf: bytes[dataStart..<(dataStart + size)])
            guard let (rest, next) = Self.line(in: bytes, from: dataStart + size) else { return nil }
            guard rest.isEmpty else { throw Self.invalid("chunk data longer than its size") }
            offset = next
        }
    }

    private static func trailers(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int
    ) throws -> ([(name: String, value: String)], Int)? {
        var fields: [(name: String, value: String)] = []
        var offset = start
        while let (line, next) = Self.line(in: bytes, from: offset) {
            offset = next
            if line.isEmpty {
                return (fields, offset)
            }
            fields.append(try Self.field(from: line))
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}
