// One invalid input field, as listed in an error's `details`.

/// `{"field": "email", "message": "must be a valid email address"}`.
struct FieldError: Error, Sendable, Equatable {
    var field: String
    var message: String
}
