// LoopState: what one event loop keeps for the connections it serves, used only on that loop.

/// Built once per loop when the server starts and handed to each connection the loop accepts.
final class LoopState {
    let recorder: RequestMetricsRecorder
    /// The backstop on remote store calls: one queue and timer for the loop.
    let storeDeadlines: StoreDeadlines
    /// The buffer the loop encodes its message heads into.
    let headBuffer: HeadBuffer
    /// The loop's turn-taking with the other threads of its core.
    let turn: LoopTurn

    init(recorder: RequestMetricsRecorder, storeDeadlines: StoreDeadlines, headBuffer: HeadBuffer, turn: LoopTurn) {
        self.recorder = recorder
        self.storeDeadlines = storeDeadlines
        self.headBuffer = headBuffer
        self.turn = turn
    }
}
