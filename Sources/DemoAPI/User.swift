// A user resource of the demo API and its JSON form.
import NIOCore

/// `{"id": 1, "name": "...", "email": "...", "created_at": "2026-01-01T00:00:00Z"}`.
struct User: Sendable, Equatable {
    var id: Int
    var name: String
    var email: String
    /// Seconds since 1970, UTC.
    var createdAt: Int

    func writeJSON(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"id\":")
        buffer.writeJSONNumber(self.id)
        buffer.writeStaticString(",\"name\":")
        buffer.writeJSONString(self.name)
        buffer.writeStaticString(",\"email\":")
        buffer.writeJSONString(self.email)
        buffer.writeStaticString(",\"created_at\":")
        buffer.writeJSONString(UTCTime(secondsSince1970: self.createdAt).iso8601)
        buffer.writeStaticString("}")
    }
}
