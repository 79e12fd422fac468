// What TestUpstreamServer's connections report to it, shared under one lock.
import NIOCore

struct TestUpstreamServerState {
    private struct RequestWaiter {
        var count: Int
        var promise: EventLoopPromise<Bool>
    }

    private(set) var receivedRequests: [TestUpstreamRequest] = []
    private(set) var requestCount = 0
    private var waiters: [Int: RequestWaiter] = [:]
    private var nextWaiterID = 0

    /// Counts a request head; returns the waiters it satisfied, to be completed outside the lock.
    mutating func requestHeadReceived() -> [EventLoopPromise<Bool>] {
        self.requestCount += 1
        let satisfied = self.waiters.filter { $0.value.count <= self.requestCount }
        for id in satisfied.keys {
            self.waiters[id] = nil
        }
        return satisfied.values.map(\.promise)
    }

    mutating func requestCompleted(_ request: TestUpstreamRequest) {
        self.receivedRequests.append(request)
    }

    /// Registers a waiter for `count` request heads; nil if already reached.
    mutating func addWaiter(count: Int, promise: EventLoopPromise<Bool>) -> Int? {
        guard self.requestCount < count else { return nil }
        self.nextWaiterID += 1
        self.waiters[self.nextWaiterID] = RequestWaiter(count: count, promise: promise)
        return self.nextWaiterID
    }

    /// Removes a waiter whose time is up; nil if it was satisfied meanwhile.
    mutating func removeWaiter(_ id: Int) -> EventLoopPromise<Bool>? {
        self.waiters.removeValue(forKey: id)?.promise
    }
}
