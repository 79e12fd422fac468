// One step of a RawTestOrigin's answer: bytes written exactly as given, a pause, or a close.
import NIOCore

/// What ``RawTestOrigin`` does, in order, to answer one request.
public enum RawTestOriginStep: Sendable {
    /// Writes the UTF-8 of the text as it is (write `"\r\n"` line endings yourself) and flushes:
    /// one send, so usually one read on the other side.
    case write(String)
    /// Writes the bytes exactly as given and flushes: for what a String cannot hold (obs-text).
    case writeBytes([UInt8])
    /// Waits (a scheduled task, never blocking) before the next step: what follows arrives in a
    /// later read than what came before.
    case pause(TimeAmount)
    /// Closes the connection; the steps after it are not run.
    case close
}
