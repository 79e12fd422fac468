// CacheHeaderHarness: the cache's header parsing and entry arithmetic, run on fuzzed field lines.
import FuzzSupport
import GatehouseCore
import NIOCore
import NIOHTTP1

/// Reads the input as field lines and puts them through `Cache-Control`, `Vary`, entity-tag and
/// HTTP-date parsing, the storage decision, the stored entry's Redis encoding, its freshness at
/// several moments, conditional requests and the refresh by a 304.
///
/// An input starting with 0xFF first gives five big-endian Int64s — response time, initial age,
/// lifetime, stale-while-revalidate, stale-if-error — for an entry as a Redis record can hold
/// it (the decoder only requires the last four not to be negative): another instance, an older
/// version, or anyone who can write to Redis may have stored it.
enum CacheHeaderHarness {
    static let policy = CachePolicy(defaultTTL: 30, staleWhileRevalidate: 10, staleIfError: 300, maxObjectSize: 1024 * 1024)
    static let now = CacheTime(secondsSince1970: 1_750_000_000)

    static func run(_ input: [UInt8]) {
        var reader = FuzzedBytes(input)
        var stored: [Int64]?
        if input.first == 0xFF {
            _ = reader.int64()  // the marker byte and seven more: keeps the five numbers aligned
            stored = (0..<5).map { index in
                let value = reader.int64()
                return index == 0 ? value : value & Int64.max
            }
        }
        let headers = fieldLines(reader.rest)
        checkParsers(headers)

        // The request carries the same fields, except those that would make it bypass the cache.
        var requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/users/1?page=2", headers: headers)
        for name in ["cache-control", "pragma"] + CachePolicy.methodOverrideFields {
            requestHead.headers.remove(name: name)
        }
        requestHead.headers.replaceOrAdd(name: "Host", value: "example.test")
        guard case .cacheable(let request) = policy.classify(requestHead, user: "user-1") else {
            fatalError("a plain GET was not cacheable")
        }
        checkLocations(headers, request: request)

        let response = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
        var entries: [CacheEntry] = []
        if case .store(let plan) = policy.storageDecision(for: response, to: request, requestTime: now + -1, responseTime: now) {
            require(plan.retention >= 0 && plan.freshness.lifetime >= 0 && plan.initialAge >= 0, "negative plan \(plan)")
            require(plan.initialAge <= CacheControl.deltaSecondsLimit, "initial age beyond the delta-seconds limit")
            entries.append(plan.entry(body: ByteBuffer(string: "body")))
        }
        if let stored {
            entries.append(CacheEntry(
                status: .ok, headers: headers, body: ByteBuffer(string: "body"),
                responseTime: CacheTime(secondsSince1970: stored[0]), initialAge: stored[1],
                freshness: CacheFreshness(lifetime: stored[2], staleWhileRevalidate: stored[3], staleIfError: stored[4]),
                varyNames: CacheKey.varyNames(of: headers) ?? []
            ))
        }
        for entry in entries {
            checkEntry(entry, request: request, notModified: HTTPResponseHead(version: .http1_1, status: .notModified, headers: headers))
            checkRange(entry, requestHeaders: headers)
        }
        for value in headers["range"] {
            guard let range = ByteRangeRequest(parsing: value) else { continue }
            for length in [0, 1, 4, 1 << 20, Int.max] {
                if let bytes = range.resolve(length: length) {
                    require(!bytes.isEmpty && bytes.lowerBound >= 0 && bytes.upperBound <= length, "\(value) resolved to \(bytes) of \(length)")
                }
            }
        }
    }

    /// The fields as a GET's (their `Range` and `If-Range` included): a part always lies in the body.
    private static func checkRange(_ entry: CacheEntry, requestHeaders: HTTPHeaders) {
        switch policy.rangeAnswer(for: entry, requestHeaders: requestHeaders) {
        case .partial(let bytes):
            require(!bytes.isEmpty && bytes.lowerBound >= 0 && bytes.upperBound <= entry.storedBody.count, "part \(bytes) of \(entry.storedBody.count)")
            _ = entry.partialHeaders(bytes, at: now)
        case .whole, .unsatisfiable:
            break
        }
    }

    /// `Name: value` lines split at the first colon and trimmed, as a decoder would hand them over;
    /// lines whose name is not a token (RFC 9110 §5.1, as llhttp enforces) or whose value holds
    /// CR or NUL are skipped.
    static func fieldLines(_ bytes: ArraySlice<UInt8>) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: trimmed(line[..<colon]), as: UTF8.self)
            // Held as the parsers hold a value (obs-text kept byte for byte).
            let value = trimmed(line[(colon + 1)...]).withUnsafeBytes(FieldValueBytes.string)
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { continue }
            // llhttp refuses a value holding CR or NUL; the Redis decoder refuses them too.
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x00 }) else { continue }
            headers.add(name: name, value: value)
        }
        return headers
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) && !Array(#"()<>@,;:\"/[]?={}"#.utf8).contains(byte)
    }

    /// Without spaces, tabs and carriage returns at either end.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return []
        }
        return bytes[first...last]
    }

    private static func checkParsers(_ headers: HTTPHeaders) {
        let directives = CacheControl(headers: headers)
        for seconds in [directives.maxAge, directives.sMaxAge, directives.staleWhileRevalidate, directives.staleIfError] {
            if let seconds {
                require((0...CacheControl.deltaSecondsLimit).contains(seconds), "delta-seconds \(seconds) out of range")
            }
        }
        if let names = CacheKey.varyNames(of: headers) {
            require(names == Array(Set(names)).sorted(), "Vary names not sorted and unique: \(names)")
            require(names.allSatisfy { $0 == $0.lowercased() && $0 != "*" && !$0.isEmpty }, "Vary names not normalised: \(names)")
        }
        for (_, value) in headers {
            for tag in EntityTag.list(parsing: value) where isETagText(tag.opaque) {
                require(EntityTag(parsing: tag.headerValue) == tag, "\(tag.headerValue) does not read back as itself")
            }
            if let time = HTTPDate.parse(value, now: now) {
                let text = HTTPDate.format(time)
                require(HTTPDate.parse(text, now: now) == time, "\(value.debugDescription) → \(text) reads back differently")
            }
        }
    }

    /// RFC 9110 etagc: what a well-formed opaque tag is made of.
    private static func isETagText(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x21 || (0x23...0x7E).contains($0) || $0 >= 0x80 }
    }

    /// `Location`-style references are resolved against the request's target, never to another host.
    private static func checkLocations(_ headers: HTTPHeaders, request: CacheableRequest) {
        for (_, value) in headers {
            if let target = request.target.resolving(value) {
                require(target.host == request.target.host, "\(value.debugDescription) resolved to host \(target.host)")
                require(target.target.hasPrefix("/"), "\(value.debugDescription) resolved to \(target.target.debugDescription)")
            }
        }
    }

    private static func checkEntry(_ entry: CacheEntry, request: CacheableRequest, notModified: HTTPResponseHead) {
        // What one instance writes to Redis, another reads back unchanged.
        let fitsTheEncoding = entry.headers.allSatisfy { $0.name.utf8.count < Int(UInt16.max) }
        if fitsTheEncoding {
            let decoded = CacheEntry(serialized: entry.serialized())
            require(decoded == entry, "the Redis encoding does not round-trip")
        }
        _ = entry.freshness.retention
        let moments: [CacheTime] = [
            now, entry.responseTime, entry.responseTime + 1, entry.responseTime + entry.freshness.lifetime,
            CacheTime(secondsSince1970: .max), CacheTime(secondsSince1970: .min), CacheTime(secondsSince1970: 0),
        ]
        for moment in moments {
            let age = entry.currentAge(at: moment)
            require((0...CacheControl.deltaSecondsLimit).contains(age), "current age \(age)")
            _ = entry.ttl(at: moment)
            _ = policy.state(of: entry, for: request, now: moment)
            _ = policy.state(of: entry, for: nil, now: moment)
            require(entry.responseHeaders(at: moment)["age"] == [String(age)], "Age not restated")
            _ = entry.notModifiedHeaders(at: moment)
        }
        _ = policy.isNotModified(entry, for: request)
        _ = policy.revalidationHead(for: HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/", headers: request.headers), entry: entry)
        switch policy.refresh(entry, with: notModified, for: request, requestTime: now, responseTime: now + 1) {
        case .refreshed(let refreshed, let retention):
            require(retention >= 0, "negative retention \(retention)")
            require(refreshed.body == entry.body, "a refresh changed the body")
        case .serveOnly, .mismatch:
            break
        }
    }
}
