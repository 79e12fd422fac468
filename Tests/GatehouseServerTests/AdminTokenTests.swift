// AdminTokenTests: the admin token comparison and the startup warning about an unprotected admin listener.
import GatehouseCore
import Testing
@testable import GatehouseServer

@Suite struct AdminTokenTests {
    @Test func equalTokensMatch() {
        #expect(AdminRouter.constantTimeEquals("s3cret", "s3cret"))
        #expect(AdminRouter.constantTimeEquals("", ""))
    }

    @Test func differentTokensDoNotMatch() {
        #expect(!AdminRouter.constantTimeEquals("s3cret", "s3creT"))
        #expect(!AdminRouter.constantTimeEquals("s3cret", "s3cre"))
        #expect(!AdminRouter.constantTimeEquals("", "x"))
    }

    /// The length difference was folded into one byte: lengths 256 apart, with the extra bytes
    /// NUL (compared as the padding), matched.
    @Test(arguments: [256, 512, 65_536])
    func lengthsAMultipleOf256ApartDoNotMatch(_ extra: Int) {
        #expect(!AdminRouter.constantTimeEquals("", String(repeating: "\0", count: extra)))
        #expect(!AdminRouter.constantTimeEquals("tok" + String(repeating: "\0", count: extra), "tok"))
    }

    private static func server(admin host: String, tokenEnv: String? = "ADMIN_TOKEN") -> ServerConfig {
        var server = ServerConfig()
        server.adminListen = ListenAddress(host: host, port: 9901)
        server.adminTokenEnv = tokenEnv
        return server
    }

    @Test(arguments: ["0.0.0.0", "::", "10.1.2.3", "admin.internal"])
    func warnsWhenReachableFromOtherHostsWithoutAToken(_ host: String) throws {
        let unset = try #require(Self.server(admin: host).unprotectedAdminWarning { _ in nil })
        #expect(unset.contains("server.admin_token_env names ADMIN_TOKEN, which is unset or empty"))
        #expect(Self.server(admin: host).unprotectedAdminWarning { _ in "" } == unset)
        let off = try #require(Self.server(admin: host, tokenEnv: nil).unprotectedAdminWarning { _ in "x" })
        #expect(off.contains("server.admin_token_env is off"))
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1", "localhost"])
    func quietOnLoopback(_ host: String) {
        #expect(Self.server(admin: host).unprotectedAdminWarning { _ in nil } == nil)
    }

    @Test func quietWithAToken() {
        #expect(Self.server(admin: "0.0.0.0").unprotectedAdminWarning { $0 == "ADMIN_TOKEN" ? "s3cret" : nil } == nil)
    }
}
