// GatehouseConfig+RestartOnly: the keys a reload cannot apply (listeners, threads) stay at the values the server runs with.

extension GatehouseConfig {
    /// The restart-only keys whose value in this config differs from `running`'s, as
    /// `key: running -> file` (empty when a reload can apply all of this config).
    public func restartOnlyChanges(from running: GatehouseConfig) -> [String] {
        var changes: [String] = []
        if server.listen != running.server.listen {
            changes.append("server.listen: \(running.server.listen) -> \(server.listen)")
        }
        if server.adminListen != running.server.adminListen {
            changes.append("server.admin_listen: \(running.server.adminListen) -> \(server.adminListen)")
        }
        if server.threads != running.server.threads {
            changes.append("server.threads: \(running.server.threads.map(String.init) ?? "auto") -> \(server.threads.map(String.init) ?? "auto")")
        }
        return changes
    }

    /// This config as a reload applies it over `running`: the listeners are bound and the event
    /// loops made once, at start, so those keys keep `running`'s values. The running config then
    /// says what the server does (the reload's summary, and what the next reload compares with).
    public func applyingReload(over running: GatehouseConfig) -> GatehouseConfig {
        var applied = self
        applied.server.listen = running.server.listen
        applied.server.adminListen = running.server.adminListen
        applied.server.threads = running.server.threads
        return applied
    }
}
