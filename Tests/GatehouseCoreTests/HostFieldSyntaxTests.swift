// HostFieldSyntaxTests: which Host values and absolute-form authorities are forwarded, which are 400.

import NIOHTTP1
import Testing
@testable import GatehouseCore

@Suite struct HostFieldSyntaxTests {
    @Test(arguments: [
        "example.com", "EXAMPLE.com:8080", "127.0.0.1", "127.0.0.1:80", "[::1]", "[2001:db8::1]:443",
        "a-b_c~d.example.", "xn--bcher-kva.example", "caf%C3%A9.example", "host:", "[v1.fe80::a+en1]",
    ])
    func accepts(_ value: String) {
        #expect(HostFieldSyntax.isValid(value[...]))
    }

    @Test(arguments: [
        "", ":80", "evil.example@api.example", "api.example/x", "api.example?x", "api.example#x",
        "api example", "api.example:80x", "api.example:-1", "[::1", "[]", "[::1]x", "[::1]:8a",
        "caf%C.example", "%zz.example", "a\"b", "a<b", "a\\b", "über.example",
    ])
    func refuses(_ value: String) {
        #expect(!HostFieldSyntax.isValid(value[...]))
    }

    @Test func validatorRefusesBadHostsAndAuthorities() {
        let head = { (uri: String, host: String) in
            HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": host])
        }
        #expect(RequestHeadValidator.problem(with: head("/", "api.example:8080")) == nil)
        #expect(RequestHeadValidator.problem(with: head("http://api.example/p", "other")) == nil)
        #expect(RequestHeadValidator.problem(with: head("/", "evil.example@api.example"))?.status == 400)
        #expect(RequestHeadValidator.problem(with: head("http://evil@api.example/p", "api.example"))?.status == 400)
    }
}
