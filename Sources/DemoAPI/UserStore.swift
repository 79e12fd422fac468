// The in-memory user collection, shared by every connection behind one lock.
import NIOConcurrencyHelpers
import NIOCore

/// Users ordered by id (ids only grow, so appending keeps the order) with a case-insensitive
/// email index. Each record carries its encoded answer, rebuilt only when the user changes.
final class UserStore: Sendable {
    private struct Storage {
        var records: [UserRecord] = []
        var idsByEmail: [String: Int] = [:]
        var nextID = 1

        func index(of id: Int) -> Int? {
            var low = 0
            var high = self.records.count
            while low < high {
                let middle = (low + high) / 2
                let candidate = self.records[middle].user.id
                if candidate == id { return middle }
                if candidate < id { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }

    /// 2026-01-01T00:00:00Z: seeded users are created a minute apart from here.
    static let seedEpoch = 1_767_225_600

    private let storage: NIOLockedValueBox<Storage>
    private let clock: DateHeaderClock
    private let allocator = ByteBufferAllocator()

    init(seedCount: Int, clock: DateHeaderClock) {
        self.clock = clock
        var storage = Storage()
        let count = max(0, seedCount)
        storage.records.reserveCapacity(count)
        for id in stride(from: 1, through: count, by: 1) {
            let user = User(id: id, name: "User \(id)", email: "user\(id)@example.com", createdAt: Self.seedEpoch + (id - 1) * 60)
            storage.records.append(UserRecord(user: user, allocator: self.allocator))
            storage.idsByEmail[user.email.lowercased()] = id
        }
        storage.nextID = count + 1
        self.storage = NIOLockedValueBox(storage)
    }

    func user(id: Int) -> UserRecord? {
        self.storage.withLockedValue { storage in
            storage.index(of: id).map { storage.records[$0] }
        }
    }

    /// Page `number` (from 1) of `size` users, and the total number of users.
    func page(number: Int, size: Int) -> (records: [UserRecord], total: Int) {
        self.storage.withLockedValue { storage in
            let total = storage.records.count
            // Compared by division so a huge page number cannot overflow.
            guard number >= 1, size >= 1, number - 1 < (total + size - 1) / size else {
                return ([], total)
            }
            let start = (number - 1) * size
            let end = min(total, start + size)
            return (Array(storage.records[start..<end]), total)
        }
    }

    func create(name: String, email: String) throws(UserStoreError) -> UserRecord {
        let createdAt = self.clock.now
        // The lock's closure rethrows untyped errors, so the outcome crosses it as a Result.
        return try self.storage.withLockedValue { storage -> Result<UserRecord, UserStoreError> in
            let key = email.lowercased()
            guard storage.idsByEmail[key] == nil else { return .failure(.emailTaken(email)) }
            let user = User(id: storage.nextID, name: name, email: email, createdAt: createdAt)
            let record = UserRecord(user: user, allocator: self.allocator)
            storage.nextID += 1
            storage.records.append(record)
            storage.idsByEmail[key] = user.id
            return .success(record)
        }.get()
    }

    /// Sets the fields given (a PUT gives both, a PATCH any); the others keep their value.
    func update(id: Int, name: String?, email: String?) throws(UserStoreError) -> UserRecord {
        try self.storage.withLockedValue { storage -> Result<UserRecord, UserStoreError> in
            guard let index = storage.index(of: id) else { return .failure(.notFound(id: id)) }
            var user = storage.records[index].user
            let oldKey = user.email.lowercased()
            if let email {
                let newKey = email.lowercased()
                if let owner = storage.idsByEmail[newKey], owner != id { return .failure(.emailTaken(email)) }
                storage.idsByEmail[oldKey] = nil
                storage.idsByEmail[newKey] = id
                user.email = email
            }
            if let name { user.name = name }
            let record = UserRecord(user: user, allocator: self.allocator)
            storage.records[index] = record
            return .success(record)
        }.get()
    }

    func delete(id: Int) throws(UserStoreError) {
        try self.storage.withLockedValue { storage -> Result<Void, UserStoreError> in
            guard let index = storage.index(of: id) else { return .failure(.notFound(id: id)) }
            let removed = storage.records.remove(at: index)
            storage.idsByEmail[removed.user.email.lowercased()] = nil
            return .success(())
        }.get()
    }
}
