// /api/users through real sockets: listing, reading, creating, replacing, updating, deleting.
import DemoAPI
import NIOCore
import NIOHTTP1
import Testing

@Suite("Users API")
struct UsersTests {
    @Test func listsFirstPageWithDefaults() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/api/users")
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Content-Length") == String(response.body.readableBytes))
            let list = try response.decode(UserListEnvelope.self)
            #expect(list.meta == .init(page: 1, per_page: 20, total: 142))
            #expect(list.data.map(\.id) == Array(1...20))
            #expect(list.data.first == UserDocument(id: 1, name: "User 1", email: "user1@example.com", created_at: "2026-01-01T00:00:00Z"))
        }
    }

    @Test func paginates() async throws {
        try await withDemoAPI { client, _ in
            let last = try await client.get("/api/users?page=8&per_page=20").decode(UserListEnvelope.self)
            #expect(last.data.map(\.id) == [141, 142])
            #expect(last.meta == .init(page: 8, per_page: 20, total: 142))
            let big = try await client.get("/api/users?per_page=100&page=2").decode(UserListEnvelope.self)
            #expect(big.data.count == 42)
            let beyond = try await client.get("/api/users?page=99").decode(UserListEnvelope.self)
            #expect(beyond.data.isEmpty)
            #expect(beyond.meta.total == 142)
        }
    }

    @Test func seedCountIsConfigurable() async throws {
        try await withDemoAPI(DemoAPIConfiguration(seedUsers: 3)) { client, _ in
            let list = try await client.get("/api/users").decode(UserListEnvelope.self)
            #expect(list.data.map(\.id) == [1, 2, 3])
            #expect(list.meta.total == 3)
        }
    }

    @Test(arguments: [
        ("page=0", "page"), ("page=abc", "page"), ("page=", "page"), ("page=-1", "page"),
        ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=x", "per_page"),
    ])
    func rejectsInvalidPagination(query: String, field: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/api/users?\(query)")
            #expect(response.status == .badRequest)
            let error = try response.decode(ErrorEnvelope.self).error
            #expect(error.code == "VALIDATION_ERROR")
            #expect(error.details?.map(\.field) == [field])
        }
    }

    @Test func getsOneUser() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get("/api/users/42")
            #expect(response.status == .ok)
            let user = try response.decode(UserEnvelope.self).data
            #expect(user == UserDocument(id: 42, name: "User 42", email: "user42@example.com", created_at: "2026-01-01T00:41:00Z"))
        }
    }

    @Test(arguments: ["/api/users/999", "/api/users/0", "/api/users/abc", "/api/users/007", "/api/users/99999999999999999999999"])
    func unknownUserIsNotFound(path: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.get(path)
            #expect(response.status == .notFound)
            #expect(response.header("Content-Type") == "application/json")
            let error = try response.decode(ErrorEnvelope.self).error
            #expect(error.code == "NOT_FOUND")
            if path == "/api/users/999" {
                #expect(response.text == #"{"error":{"code":"NOT_FOUND","message":"user 999 not found"}}"#)
            }
        }
    }

    @Test func createsUser() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.POST, "/api/users", json: #"{"name": " Ada Lovelace ", "email": "ada@example.org"}"#)
            #expect(response.status == .created)
            #expect(response.header("Location") == "/api/users/143")
            #expect(response.header("Cache-Control") == "no-store")
            let created = try response.decode(UserEnvelope.self).data
            #expect(created.id == 143)
            #expect(created.name == "Ada Lovelace")
            #expect(created.email == "ada@example.org")
            #expect(created.created_at.count == 20 && created.created_at.hasSuffix("Z"))

            let fetched = try await client.get("/api/users/143").decode(UserEnvelope.self).data
            #expect(fetched == created)
            let list = try await client.get("/api/users?page=8").decode(UserListEnvelope.self)
            #expect(list.meta.total == 143)
            #expect(list.data.last == created)
        }
    }

    @Test func createHonoursExpectContinue() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(
                .POST, "/api/users", json: #"{"name":"Eve","email":"eve@example.org"}"#, headers: [("Expect", "100-continue")]
            )
            #expect(response.status == .created)
        }
    }

    @Test func createValidatesFields() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.POST, "/api/users", json: #"{"name": "Bob", "email": "not-an-email"}"#)
            #expect(response.status == .badRequest)
            #expect(
                response.text
                    == #"{"error":{"code":"VALIDATION_ERROR","message":"invalid user","details":[{"field":"email","message":"must be a valid email address"}]}}"#
            )

            let missing = try await client.send(.POST, "/api/users", json: #"{"name": 7}"#)
            #expect(missing.status == .badRequest)
            let details = try missing.decode(ErrorEnvelope.self).error.details
            #expect(details == [.init(field: "name", message: "must be a string"), .init(field: "email", message: "is required")])

            let blank = try await client.send(.POST, "/api/users", json: #"{"name": "  ", "email": "a@b.co"}"#)
            #expect(try blank.decode(ErrorEnvelope.self).error.details == [.init(field: "name", message: "must not be empty")])

            // Nothing was created by the refused writes.
            #expect(try await client.get("/api/users").decode(UserListEnvelope.self).meta.total == 142)
        }
    }

    @Test(arguments: ["not json", "[1, 2]", "\"text\"", "", "{\"name\": "])
    func createRejectsNonObjectBodies(body: String) async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.POST, "/api/users", json: body)
            #expect(response.status == .badRequest)
            #expect(try response.decode(ErrorEnvelope.self).error.code == "BAD_REQUEST")
        }
    }

    @Test func duplicateEmailIsConflict() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.POST, "/api/users", json: #"{"name": "Copy", "email": "USER5@Example.com"}"#)
            #expect(response.status == .conflict)
            #expect(response.header("Content-Type") == "application/json")
            #expect(try response.decode(ErrorEnvelope.self).error.code == "CONFLICT")
        }
    }

    @Test func putReplacesWholeUser() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.PUT, "/api/users/7", json: #"{"name": "Grace", "email": "grace@example.org"}"#)
            #expect(response.status == .ok)
            #expect(response.header("Cache-Control") == "no-store")
            let user = try response.decode(UserEnvelope.self).data
            #expect(user == UserDocument(id: 7, name: "Grace", email: "grace@example.org", created_at: "2026-01-01T00:06:00Z"))
            #expect(try await client.get("/api/users/7").decode(UserEnvelope.self).data == user)

            let partial = try await client.send(.PUT, "/api/users/7", json: #"{"name": "Only"}"#)
            #expect(partial.status == .badRequest)
            #expect(try partial.decode(ErrorEnvelope.self).error.details == [.init(field: "email", message: "is required")])

            let conflict = try await client.send(.PUT, "/api/users/7", json: #"{"name": "G", "email": "user8@example.com"}"#)
            #expect(conflict.status == .conflict)

            // Keeping one's own email (in another case) is no conflict.
            let same = try await client.send(.PUT, "/api/users/7", json: #"{"name": "G", "email": "GRACE@example.org"}"#)
            #expect(same.status == .ok)

            let missing = try await client.send(.PUT, "/api/users/999", json: #"{"name": "G", "email": "g@example.org"}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test func patchUpdatesGivenFields() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.PATCH, "/api/users/3", json: #"{"name": "Renamed"}"#)
            #expect(response.status == .ok)
            let user = try response.decode(UserEnvelope.self).data
            #expect(user.name == "Renamed")
            #expect(user.email == "user3@example.com")

            let email = try await client.send(.PATCH, "/api/users/3", json: #"{"email": "three@example.org"}"#)
            #expect(try email.decode(UserEnvelope.self).data.email == "three@example.org")
            // The old address is free again.
            let reuse = try await client.send(.POST, "/api/users", json: #"{"name": "New", "email": "user3@example.com"}"#)
            #expect(reuse.status == .created)

            let invalid = try await client.send(.PATCH, "/api/users/3", json: #"{"email": "bad@"}"#)
            #expect(invalid.status == .badRequest)
            let conflict = try await client.send(.PATCH, "/api/users/3", json: #"{"email": "user4@example.com"}"#)
            #expect(conflict.status == .conflict)
            let missing = try await client.send(.PATCH, "/api/users/999", json: #"{"name": "X"}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test func deleteRemovesUser() async throws {
        try await withDemoAPI { client, _ in
            let response = try await client.send(.DELETE, "/api/users/10")
            #expect(response.status == .noContent)
            #expect(response.body.readableBytes == 0)
            #expect(response.header("Cache-Control") == "no-store")
            #expect(try await client.get("/api/users/10").status == .notFound)
            #expect(try await client.send(.DELETE, "/api/users/10").status == .notFound)
            let page = try await client.get("/api/users?per_page=11").decode(UserListEnvelope.self)
            #expect(page.data.map(\.id) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12])
            #expect(page.meta.total == 141)
            // Its email can be used again.
            let again = try await client.send(.POST, "/api/users", json: #"{"name": "X", "email": "user10@example.com"}"#)
            #expect(again.status == .created)
        }
    }

    @Test func oversizedJSONBodyIsRefused() async throws {
        try await withDemoAPI { client, _ in
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 * 1024 * 1024)
            let response = try await client.send(.POST, "/api/users", headers: [("Content-Type", "application/json")], body: huge)
            #expect(response.status == .payloadTooLarge)
            #expect(try response.decode(ErrorEnvelope.self).error.code == "PAYLOAD_TOO_LARGE")
            // The connection is still usable.
            #expect(try await client.get("/health").status == .ok)
        }
    }
}
