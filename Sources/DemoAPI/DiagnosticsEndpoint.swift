// The endpoints for tests and benchmarks, and `/health`.
//
//   GET  /health       200 {"status":"ok"}                                  no-store
//   GET  /bytes/{n}    n bytes (0...100 MiB) of a fixed pattern, streamed     cacheable
//   GET  /delay/{ms}   200 {"delayed_ms":ms} after ms (0...600000)            cacheable
//   GET  /nocache      200 {"nocache":true,"request":N}                        no-store
//   POST /echo         200 with the request body and Content-Type, streamed   no-store
//   GET  /headers      200 {"name":"value",...}: the request headers as seen  no-store
//   GET  /stats        200 {"requests":N,"targets":{"/path?query":n,...}}     no-store
//
// `/headers`, `/nocache` and `/stats` describe the request or the server rather than a resource,
// so caching them would only hide what a test wants to see.
import NIOCore
import NIOHTTP1

struct DiagnosticsEndpoint: Sendable {
    static let maxByteCount = 100 * 1024 * 1024
    static let maxDelayMilliseconds = 600_000

    let stats: RequestStats
    let allocator: ByteBufferAllocator

    func health() -> JSONResponse {
        var body = self.allocator.buffer(capacity: 16)
        body.writeStaticString("{\"status\":\"ok\"}")
        return .ok(body, caching: .noStore)
    }

    func nocache() -> JSONResponse {
        var body = self.allocator.buffer(capacity: 40)
        body.writeStaticString("{\"nocache\":true,\"request\":")
        body.writeJSONNumber(self.stats.snapshot().total)
        body.writeStaticString("}")
        return .ok(body, caching: .noStore)
    }

    /// Lower-cased names in order of first appearance; repeated fields joined with ", ".
    func headers(_ headers: HTTPHeaders) -> JSONResponse {
        var names: [String] = []
        var values: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = values[key] {
                values[key] = existing + ", " + value
            } else {
                names.append(key)
                values[key] = value
            }
        }
        var body = self.allocator.buffer(capacity: 256)
        body.writeStaticString("{")
        for (index, name) in names.enumerated() {
            if index > 0 { body.writeStaticString(",") }
            body.writeJSONString(name)
            body.writeStaticString(":")
            body.writeJSONString(values[name] ?? "")
        }
        body.writeStaticString("}")
        return .ok(body, caching: .noStore)
    }

    func statistics() -> JSONResponse {
        let (total, byTarget) = self.stats.snapshot()
        var body = self.allocator.buffer(capacity: 64 + byTarget.count * 32)
        body.writeStaticString("{\"requests\":")
        body.writeJSONNumber(total)
        body.writeStaticString(",\"targets\":{")
        for (index, target) in byTarget.keys.sorted().enumerated() {
            if index > 0 { body.writeStaticString(",") }
            body.writeJSONString(target)
            body.writeStaticString(":")
            body.writeJSONNumber(byTarget[target] ?? 0)
        }
        body.writeStaticString("}}")
        return .ok(body, caching: .noStore)
    }

    func delayed(milliseconds: Int) -> JSONResponse {
        var body = self.allocator.buffer(capacity: 32)
        body.writeStaticString("{\"delayed_ms\":")
        body.writeJSONNumber(milliseconds)
        body.writeStaticString("}")
        return .ok(body, caching: .cacheable(etag: nil))
    }

    /// The `n` of `/bytes/{n}`, or the 400 to answer.
    func byteCount(_ raw: Substring) -> Result<Int, APIError> {
        Self.boundedInteger(raw, field: "n", upTo: Self.maxByteCount)
    }

    /// The `ms` of `/delay/{ms}`, or the 400 to answer.
    func delay(_ raw: Substring) -> Result<Int, APIError> {
        Self.boundedInteger(raw, field: "ms", upTo: Self.maxDelayMilliseconds)
    }

    private static func boundedInteger(_ raw: Substring, field: String, upTo limit: Int) -> Result<Int, APIError> {
        guard raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(raw), value <= limit
        else {
            let problem = FieldError(field: field, message: "must be an integer between 0 and \(limit)")
            return .failure(.validation("invalid path parameter", [problem]))
        }
        return .success(value)
    }
}
