// A whole HTTP response as the tests' client received it.
import Foundation
import NIOCore
import NIOHTTP1

struct TestResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: String { String(buffer: self.body) }

    func header(_ name: String) -> String? {
        self.headers.first(name: name)
    }

    func decode<Document: Decodable>(_ type: Document.Type) throws -> Document {
        try JSONDecoder().decode(Document.self, from: Data(self.body.readableBytesView))
    }
}
