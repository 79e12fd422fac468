// ServerConfig+AdminExposure: whether /admin/* is open to other hosts, said once at startup.
import GatehouseCore

extension ServerConfig {
    /// A warning for the startup log when anyone who can reach `admin_listen` may reload the
    /// config and purge the cache: the listener is not a loopback address and no admin token is
    /// set (`admin_token_env` off, or naming an unset or empty variable); nil otherwise.
    func unprotectedAdminWarning(environment: (String) -> String?) -> String? {
        guard !Self.isLoopback(adminListen.host) else { return nil }
        let why: String
        if let name = adminTokenEnv {
            guard environment(name)?.isEmpty ?? true else { return nil }
            why = "server.admin_token_env names \(name), which is unset or empty"
        } else {
            why = "server.admin_token_env is off"
        }
        return "admin_listen \(adminListen) is not a loopback address and \(why): "
            + "anyone who can reach it may use /admin/reload and /admin/purge; set the token or listen on 127.0.0.1"
    }

    /// `localhost`, 127.0.0.0/8 and ::1 (an IPv4-mapped address counts as its IPv4 one).
    private static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let address = IPAddress(parsing: host) else { return false }
        return address.isIPv4 ? address.bytes.first == 127 : address == IPAddress(parsing: "::1")
    }
}
