// A stored user together with its encoded answer, so reads never encode.
import NIOCore

/// Built on every write; `GET /api/users/{id}` writes `document` as is.
struct UserRecord: Sendable {
    let user: User
    /// `{"data":{...user...}}`
    let document: ByteBuffer
    /// The user object alone (a view into `document`), for list pages.
    let userJSON: ByteBuffer
    let etag: String

    init(user: User, allocator: ByteBufferAllocator) {
        self.user = user
        var document = allocator.buffer(capacity: 128 + user.name.utf8.count + user.email.utf8.count)
        document.writeStaticString("{\"data\":")
        let userStart = document.writerIndex
        user.writeJSON(into: &document)
        let userLength = document.writerIndex - userStart
        document.writeStaticString("}")
        self.document = document
        self.userJSON = document.getSlice(at: userStart, length: userLength) ?? ByteBuffer()
        self.etag = ETag.of(document)
    }
}
