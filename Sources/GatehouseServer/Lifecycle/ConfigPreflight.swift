// ConfigPreflight: what a valid file still needs from the machine to start — secrets, key files, the access log, origin hosts.
import GatehouseCore
import NIOCore

/// The checks `gatehouse check` adds to the file's own (like `nginx -t`, which opens the files
/// a config names): a config can be valid and still fail to start because an environment
/// variable is unset, a key file unreadable, the access log's directory missing or an origin's
/// host unknown. Each check builds what `ProxyRuntime.build` builds at start, so the two cannot
/// disagree; `gatehouse run` makes them first too, to report its problems the same way.
public enum ConfigPreflight {
    /// Every such problem of `config`, as issues of `file` (empty when it can start). Creates a
    /// missing access-log file, as starting would; resolves origin hosts (blocking: not on an
    /// event loop).
    public static func issues(of config: GatehouseConfig, file: String) async -> [ConfigIssue] {
        await issues(of: config, file: file, environment: ProcessEnvironment.value(of:), resolver: SystemAddressResolver())
    }

    static func issues(
        of config: GatehouseConfig, file: String, environment: @escaping (String) -> String?,
        resolver: any UpstreamAddressResolver
    ) async -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        do {
            _ = try await UserIdentityResolver.make(config: config.identity, environment: environment)
        } catch {
            issues.append(error.configIssue(file: file, lines: config.keyLines))
        }
        if config.server.accessLog.isFile {
            do {
                try await AccessLogWriter(destination: config.server.accessLog).close(within: .seconds(1))
            } catch {
                let path = "server.access_log"
                issues.append(ConfigIssue(file: file, line: config.keyLines.line(of: path), path: path, message: String(describing: error)))
            }
        }
        for (index, server) in config.upstream.servers.enumerated() {
            do {
                _ = try UpstreamServerSet.addresses(of: server, resolver: resolver)
            } catch {
                let path = "upstream.servers[\(index)]"
                issues.append(ConfigIssue(
                    file: file, line: config.keyLines.line(of: path), path: path,
                    message: (error as? UpstreamResolveError)?.description ?? "cannot resolve \(server.host): \(error)"
                ))
            }
        }
        return issues
    }

    /// Startup warnings (nothing that stops a start): an admin listener open to other hosts
    /// without a token.
    public static func warnings(of config: GatehouseConfig) -> [String] {
        [config.server.unprotectedAdminWarning(environment: ProcessEnvironment.value(of:))].compactMap { $0 }
    }
}
