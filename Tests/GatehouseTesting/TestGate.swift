// TestGate: a one-way gate a test opens when what it waits for has happened, for test origins that hold an answer until then.
import NIOConcurrencyHelpers
import NIOCore

/// Closed until ``open()``; work queued with ``whenOpen(on:_:)`` runs on its event loop once it
/// opens (at once when it already is). A test origin holds its answer behind one, so a test that
/// needs requests to arrive while an answer is pending says when, instead of guessing a delay.
public final class TestGate: Sendable {
    private struct State {
        var isOpen = false
        var waiting: [(any EventLoop, @Sendable () -> Void)] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Opens the gate: everything waiting runs, and anything queued later runs at once.
    public func open() {
        let waiting = state.withLockedValue { state in
            state.isOpen = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for (loop, body) in waiting {
            loop.execute(body)
        }
    }

    /// Runs `body` on `loop` once the gate is open.
    public func whenOpen(on loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
        let isOpen = state.withLockedValue { state in
            if !state.isOpen { state.waiting.append((loop, body)) }
            return state.isOpen
        }
        if isOpen {
            loop.execute(body)
        }
    }
}
