// RefusalRecord: the metrics and access-log line of a refusal made before any request head was read.
import GatehouseCore

/// A connection refused before a request was read (bytes that are no request, a header timeout,
/// a connection over `max_connections`) is still one request in `gatehouse_requests_total` and
/// one line of the access log, whichever code path refused it.
enum RefusalRecord {
    /// Counts `error` on the loop's recorder and logs it; runs on that loop. `bytes` in the line
    /// is the JSON body the refusal sends; `requestLine`, the refused request's method and
    /// target when its request line was read.
    static func record(
        _ error: GatehouseError, client: String, requestID: @autoclosure () -> String,
        recorder: RequestMetricsRecorder, accessLog: AccessLogWriter,
        requestLine: (method: String, target: String)? = nil
    ) {
        recorder.requestCompleted(method: requestLine?.method ?? "OTHER", code: error.status, cache: "bypass", duration: .zero)
        guard accessLog.isEnabled else { return }
        accessLog.log(AccessLogEntry(
            time: WallClock.now(), client: client, method: requestLine?.method ?? "-", path: requestLine?.target ?? "-",
            status: error.status,
            bytes: error.jsonBody.utf8.count, durationSeconds: 0, cache: "bypass", requestID: requestID()
        ))
    }
}
