// CapturedLog: a Logger whose lines a test can read back.
import Logging
import NIOConcurrencyHelpers

/// Collects what is logged through ``logger`` (level and message), for tests of what an operator
/// is told.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
    }

    private let captured = NIOLockedValueBox<[Line]>([])

    var lines: [Line] { captured.withLockedValue { $0 } }

    var logger: Logger {
        Logger(label: "gatehouse.redis.test") { _ in Handler(log: self) }
    }

    fileprivate func append(_ line: Line) {
        captured.withLockedValue { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.append(Line(level: event.level, message: "\(event.message) \(event.metadata ?? [:])"))
        }
    }
}
