// RecordingLogHandler: keeps the messages logged through it, for tests of what the proxy logs.
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that records each message with its level (metadata dropped).
struct RecordingLogHandler: LogHandler {
    /// What was logged, shared by every copy of the handler.
    final class Record: Sendable {
        private let lines = NIOLockedValueBox<[(level: Logger.Level, message: String)]>([])

        /// The messages logged at `level`, oldest first.
        func messages(at level: Logger.Level) -> [String] {
            lines.withLockedValue { $0.filter { $0.level == level }.map(\.message) }
        }

        fileprivate func append(_ level: Logger.Level, _ message: String) {
            lines.withLockedValue { $0.append((level, message)) }
        }
    }

    let record: Record
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    /// A logger at `info` whose lines go to a new record.
    static func logger() -> (Logger, Record) {
        let record = Record()
        return (Logger(label: "gatehouse-test") { _ in RecordingLogHandler(record: record) }, record)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        record.append(event.level, event.message.description)
    }
}
