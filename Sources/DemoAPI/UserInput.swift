// The fields of a user write (POST, PUT, PATCH), parsed from JSON and validated.
import Foundation
import NIOCore

/// Validated, trimmed fields; `nil` means "not given" (possible only in a partial update).
struct UserInput: Sendable, Equatable {
    enum Mode: Sendable {
        /// POST and PUT: every field is required.
        case complete
        /// PATCH: any subset of the fields.
        case partial
    }

    static let maxNameLength = 100
    static let maxEmailLength = 254

    var name: String?
    var email: String?

    /// Unknown members are ignored, so a client may send back a user it read (with `id` and
    /// `created_at`) as a PUT body.
    static func parse(_ body: ByteBuffer, mode: Mode) -> Result<UserInput, APIError> {
        let object: [String: Any]
        switch Self.jsonObject(body) {
        case .success(let parsed): object = parsed
        case .failure(let error): return .failure(error)
        }
        var input = UserInput()
        var problems: [FieldError] = []
        switch Self.field("name", in: object, mode: mode) {
        case .success(let name?):
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                problems.append(FieldError(field: "name", message: "must not be empty"))
            } else if trimmed.count > Self.maxNameLength {
                problems.append(FieldError(field: "name", message: "must be at most \(Self.maxNameLength) characters"))
            } else {
                input.name = trimmed
            }
        case .success(nil): break
        case .failure(let problem): problems.append(problem)
        }
        switch Self.field("email", in: object, mode: mode) {
        case .success(let email?):
            let trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines)
            if Self.isValidEmail(trimmed) {
                input.email = trimmed
            } else {
                problems.append(FieldError(field: "email", message: "must be a valid email address"))
            }
        case .success(nil): break
        case .failure(let problem): problems.append(problem)
        }
        guard problems.isEmpty else {
            return .failure(.validation("invalid user", problems))
        }
        return .success(input)
    }

    private static func jsonObject(_ body: ByteBuffer) -> Result<[String: Any], APIError> {
        guard body.readableBytes > 0 else {
            return .failure(.badRequest("request body must be a JSON object"))
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        } catch {
            return .failure(.badRequest("request body is not valid JSON"))
        }
        guard let object = parsed as? [String: Any] else {
            return .failure(.badRequest("request body must be a JSON object"))
        }
        return .success(object)
    }

    /// The string value of `name`; `nil` when absent and allowed to be.
    private static func field(_ name: String, in object: [String: Any], mode: Mode) -> Result<String?, FieldError> {
        guard let value = object[name] else {
            return mode == .complete ? .failure(FieldError(field: name, message: "is required")) : .success(nil)
        }
        guard let string = value as? String else {
            return .failure(FieldError(field: name, message: "must be a string"))
        }
        return .success(string)
    }

    /// A deliberately plain check: one `@`, a local part of the usual characters, and a dotted
    /// domain of letters, digits and hyphens.
    static func isValidEmail(_ email: String) -> Bool {
        let bytes = Array(email.utf8)
        guard bytes.count <= Self.maxEmailLength,
            let at = bytes.firstIndex(of: UInt8(ascii: "@")),
            bytes.lastIndex(of: UInt8(ascii: "@")) == at
        else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
            local.allSatisfy(Self.isLocalPartByte)
        else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { Self.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLocalPartByte(_ byte: UInt8) -> Bool {
        Self.isAlphanumeric(byte) || "!#$%&'*+/=?^_`{|}~.-".utf8.contains(byte)
    }
}
