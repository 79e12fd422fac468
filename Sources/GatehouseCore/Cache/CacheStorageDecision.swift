// CacheStorageDecision: whether a response (head) is stored, and how.

/// The response-side verdict of `CachePolicy.storageDecision`.
public enum CacheStorageDecision: Sendable, Equatable {
    case store(CacheStoragePlan)
    case doNotStore(CacheNotStoredReason)

    /// The plan, when storable.
    public var plan: CacheStoragePlan? {
        if case .store(let plan) = self { return plan }
        return nil
    }
}
