// The pure pieces: time formatting, entity tags, email validation, targets and routes.
@testable import DemoAPI
import NIOCore
import Testing

@Suite("Units")
struct UnitTests {
    @Test func formatsTimes() {
        #expect(UTCTime(secondsSince1970: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(UTCTime(secondsSince1970: 0).httpDate == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(UTCTime(secondsSince1970: UserStore.seedEpoch).iso8601 == "2026-01-01T00:00:00Z")
        #expect(UTCTime(secondsSince1970: 784_111_777).httpDate == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(UTCTime(secondsSince1970: 951_782_400).iso8601 == "2000-02-29T00:00:00Z")
        #expect(UTCTime(secondsSince1970: 4_107_542_399).iso8601 == "2100-02-28T23:59:59Z")
    }

    @Test func etagsAreStableAndMatchWeakly() {
        let tag = ETag.of(ByteBuffer(string: "hello"))
        #expect(tag == ETag.of(ByteBuffer(string: "hello")))
        #expect(tag != ETag.of(ByteBuffer(string: "hellp")))
        #expect(tag.count == 18)
        #expect(ETag.matches(ifNoneMatch: [tag], etag: tag))
        #expect(ETag.matches(ifNoneMatch: ["\"a\" , W/\(tag)"], etag: tag))
        #expect(ETag.matches(ifNoneMatch: ["\"a\"", " * "], etag: tag))
        #expect(!ETag.matches(ifNoneMatch: ["\"a\", \"b\""], etag: tag))
    }

    @Test(arguments: ["a@b.co", "first.last+tag@sub.example.org", "x_y@a-b.io"])
    func acceptsEmails(email: String) {
        #expect(UserInput.isValidEmail(email))
    }

    @Test(arguments: ["", "a", "a@b", "@b.co", "a@@b.co", "a@b..co", "a b@c.co", "a@-b.co", ".a@b.co", "a@b.co.", "ü@b.co"])
    func rejectsEmails(email: String) {
        #expect(!UserInput.isValidEmail(email))
    }

    @Test func parsesTargets() {
        let target = RequestTarget(uri: "/api/users?page=2&per_page=%31%30&flag&q=a+b#frag")
        #expect(target.path == "/api/users")
        #expect(target.queryValue("page") == "2")
        #expect(target.queryValue("per_page") == "10")
        #expect(target.queryValue("flag") == "")
        #expect(target.queryValue("q") == "a b")
        #expect(target.queryValue("missing") == nil)
        #expect(RequestTarget(uri: "https://host:8080/health").path == "/health")
        #expect(RequestTarget(uri: "http://host").path == "/")
    }

    @Test func routes() {
        #expect(Router.route(path: "/api/users") == .users)
        #expect(Router.route(path: "/api/users/12") == .user(id: "12"))
        #expect(Router.route(path: "/bytes/5") == .bytes(count: "5"))
        #expect(Router.route(path: "/delay/5") == .delay(milliseconds: "5"))
        #expect(Router.route(path: "/headers") == .headers)
        #expect(Router.route(path: "/api/users/") == nil)
        #expect(Router.route(path: "//health") == nil)
        #expect(Router.route(path: "") == nil)
    }

    @Test func userJSONEscapes() {
        let record = UserRecord(
            user: User(id: 1, name: "A \"quoted\"\\ name\n\u{1}é", email: "a@b.co", createdAt: 0),
            allocator: ByteBufferAllocator()
        )
        #expect(
            String(buffer: record.document)
                == #"{"data":{"id":1,"name":"A \"quoted\"\\ name\n\u0001é","email":"a@b.co","created_at":"1970-01-01T00:00:00Z"}}"#
        )
        #expect(String(buffer: record.userJSON).hasPrefix(#"{"id":1,"#))
        #expect(String(buffer: record.userJSON).hasSuffix(#"Z"}"#))
    }
}
