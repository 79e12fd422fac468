// One step of a RawTestOrigin's answer: bytes written exactly as given, a wait for the test, or a close.
import NIOCore

/// What ``RawTestOrigin`` does, in order, to answer one request.
public enum RawTestOriginStep: Sendable {
    /// Writes the UTF-8 of the text as it is (write `"\r\n"` line endings yourself) and flushes:
    /// one send, so usually one read on the other side.
    case write(String)
    /// Writes the bytes exactly as given and flushes: for what a String cannot hold (obs-text).
    case writeBytes([UInt8])
    /// Waits (never blocking) until the test opens the gate: what follows comes once what the
    /// test waits for has happened, in a later read than what came before.
    case waitFor(TestGate)
    /// Closes the connection; the steps after it are not run.
    case close
}
