// The `/api/users` resources: list, read, create, replace, update and delete users.
import NIOCore

/// Pure request-to-answer logic over the ``UserStore``; the handler does the I/O.
struct UsersEndpoint: Sendable {
    static let defaultPageSize = 20
    static let maxPageSize = 100

    let store: UserStore
    let allocator: ByteBufferAllocator

    /// `GET /api/users?page=P&per_page=N`
    func list(_ target: RequestTarget) -> JSONResponse {
        var problems: [FieldError] = []
        let page = Self.positiveInteger(target.queryValue("page"), default: 1)
        let pageSize = Self.positiveInteger(target.queryValue("per_page"), default: Self.defaultPageSize)
        if page == nil {
            problems.append(FieldError(field: "page", message: "must be a positive integer"))
        }
        if pageSize.map({ $0 > Self.maxPageSize }) ?? true {
            problems.append(FieldError(field: "per_page", message: "must be an integer between 1 and \(Self.maxPageSize)"))
        }
        guard let page, let pageSize, problems.isEmpty else {
            return .error(.validation("invalid query parameters", problems), allocator: self.allocator)
        }
        let (records, total) = self.store.page(number: page, size: pageSize)
        var body = self.allocator.buffer(capacity: 64 + records.reduce(0) { $0 + $1.userJSON.readableBytes + 1 })
        body.writeStaticString("{\"data\":[")
        for (index, record) in records.enumerated() {
            if index > 0 { body.writeStaticString(",") }
            var user = record.userJSON
            body.writeBuffer(&user)
        }
        body.writeStaticString("],\"meta\":{\"page\":")
        body.writeJSONNumber(page)
        body.writeStaticString(",\"per_page\":")
        body.writeJSONNumber(pageSize)
        body.writeStaticString(",\"total\":")
        body.writeJSONNumber(total)
        body.writeStaticString("}}")
        return .ok(body, caching: .cacheable(etag: nil))
    }

    /// `GET /api/users/{id}`: the stored, pre-encoded answer.
    func get(id rawID: Substring) -> JSONResponse {
        guard let id = Self.userID(rawID), let record = self.store.user(id: id) else {
            return self.notFound(rawID)
        }
        return .ok(record.document, caching: .cacheable(etag: record.etag))
    }

    /// `POST /api/users`
    func create(body: ByteBuffer) -> JSONResponse {
        let input: UserInput
        switch UserInput.parse(body, mode: .complete) {
        case .success(let parsed): input = parsed
        case .failure(let error): return .error(error, allocator: self.allocator)
        }
        // `.complete` guarantees both fields.
        guard let name = input.name, let email = input.email else {
            return .error(APIError(code: .internalError, message: "incomplete user"), allocator: self.allocator)
        }
        do {
            let record = try self.store.create(name: name, email: email)
            var response = JSONResponse(status: .created, body: record.document, caching: .noStore)
            response.extraHeaders.append((name: "Location", value: "/api/users/\(record.user.id)"))
            return response
        } catch {
            return self.storeError(error)
        }
    }

    /// `PUT /api/users/{id}` (both fields required) and `PATCH /api/users/{id}` (any of them).
    func update(id rawID: Substring, body: ByteBuffer, mode: UserInput.Mode) -> JSONResponse {
        guard let id = Self.userID(rawID), self.store.user(id: id) != nil else {
            return self.notFound(rawID)
        }
        switch UserInput.parse(body, mode: mode) {
        case .success(let input):
            do {
                let record = try self.store.update(id: id, name: input.name, email: input.email)
                return JSONResponse(status: .ok, body: record.document, caching: .noStore)
            } catch {
                return self.storeError(error)
            }
        case .failure(let error):
            return .error(error, allocator: self.allocator)
        }
    }

    /// `DELETE /api/users/{id}`
    func delete(id rawID: Substring) -> JSONResponse {
        guard let id = Self.userID(rawID) else {
            return self.notFound(rawID)
        }
        do {
            try self.store.delete(id: id)
            return .noContent
        } catch {
            return self.storeError(error)
        }
    }

    private func notFound(_ rawID: Substring) -> JSONResponse {
        .error(.notFound("user \(rawID) not found"), allocator: self.allocator)
    }

    private func storeError(_ error: UserStoreError) -> JSONResponse {
        switch error {
        case .notFound(let id):
            return .error(.notFound("user \(id) not found"), allocator: self.allocator)
        case .emailTaken(let email):
            let conflict = APIError(
                code: .conflict,
                message: "a user with email \(email) already exists",
                details: [FieldError(field: "email", message: "is already taken")]
            )
            return .error(conflict, allocator: self.allocator)
        }
    }

    /// Canonical ids only (`7`, not `07` or `+7`), so each user has exactly one URL.
    static func userID(_ raw: Substring) -> Int? {
        guard let first = raw.first, first != "0", raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(raw)
    }

    /// `default` when absent; `nil` when present but not a positive decimal integer.
    static func positiveInteger(_ raw: String?, default defaultValue: Int) -> Int? {
        guard let raw else { return defaultValue }
        guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(raw), value >= 1
        else { return nil }
        return value
    }
}
