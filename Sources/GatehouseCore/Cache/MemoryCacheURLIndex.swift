// MemoryCacheURLIndex: the memory store's map from a URL key to the primary keys stored under it.

/// Purge by URL finds every primary key of the URL here. Nearly every URL has exactly one
/// primary key (a rule without `per_user`), so that case holds the key itself instead of a
/// one-element set, which would cost every entry a hash-table allocation.
struct MemoryCacheURLIndex {
    private enum Primaries {
        case one(String)
        case many(Set<String>)
    }

    private var byURL: [String: Primaries] = [:]

    mutating func insert(_ primary: String, url: String) {
        // Taken out while changed, so a set is never copied on write.
        switch byURL.removeValue(forKey: url) {
        case nil:
            byURL[url] = .one(primary)
        case .one(let existing):
            byURL[url] = existing == primary ? .one(existing) : .many([existing, primary])
        case .many(var primaries):
            primaries.insert(primary)
            byURL[url] = .many(primaries)
        }
    }

    mutating func remove(_ primary: String, url: String) {
        switch byURL.removeValue(forKey: url) {
        case nil:
            return
        case .one(let existing):
            if existing != primary {
                byURL[url] = .one(existing)
            }
        case .many(var primaries):
            primaries.remove(primary)
            if primaries.count == 1, let last = primaries.first {
                byURL[url] = .one(last)
            } else if !primaries.isEmpty {
                byURL[url] = .many(primaries)
            }
        }
    }

    func primaries(of url: String) -> [String] {
        switch byURL[url] {
        case nil: []
        case .one(let primary): [primary]
        case .many(let primaries): Array(primaries)
        }
    }

    mutating func removeAll() {
        byURL = [:]
    }
}
