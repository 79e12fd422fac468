// PerEventLoop: one value per event loop of a group, looked up without a lock.
import NIOCore

/// Holds one `Value` per event loop, built up front; the table is never written after init,
/// so reading it from any thread is safe, and each value is meant to be used only on its loop.
final class PerEventLoop<Value>: @unchecked Sendable {
    private let values: [ObjectIdentifier: Value]
    /// Each loop with its value, in the group's order.
    let all: [(loop: any EventLoop, value: Value)]

    init(group: any EventLoopGroup, make: (_ index: Int, _ loop: any EventLoop) -> Value) {
        var values: [ObjectIdentifier: Value] = [:]
        var all: [(loop: any EventLoop, value: Value)] = []
        for (index, loop) in group.makeIterator().enumerated() {
            let value = make(index, loop)
            values[ObjectIdentifier(loop)] = value
            all.append((loop, value))
        }
        self.values = values
        self.all = all
    }

    /// The value confined to `loop`; nil for a loop outside the group.
    func value(for loop: any EventLoop) -> Value? {
        values[ObjectIdentifier(loop)]
    }

    var allValues: [Value] { all.map(\.value) }
}
