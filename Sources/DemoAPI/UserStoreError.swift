// Why a write to the user store was refused.

enum UserStoreError: Error, Sendable, Equatable {
    case notFound(id: Int)
    /// Another user (case-insensitively) has this email already.
    case emailTaken(String)
}
