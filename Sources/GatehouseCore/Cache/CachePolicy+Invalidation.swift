// CachePolicy+Invalidation: which URLs and namespaces a successful write invalidates.
import NIOHTTP1

extension CachePolicy {
    /// Whether `method` never invalidates: GET, HEAD, OPTIONS, TRACE. Every other method,
    /// unknown ones included, does. (A switch: `[HTTPMethod].contains` compared each element
    /// through `HTTPMethod`'s `==`, ~0.5 % of a proxied GET.)
    public static func isSafe(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE: true
        default: false
        }
    }

    /// What `response` to `head` invalidates: nil for safe methods and for error statuses
    /// (only 2xx and 3xx invalidate). `forwarded` as in `classify`: the URLs written to are
    /// those the reads were stored under. `path` as in `classify`: `invalidated_by` prefixes
    /// match the normalised path, as the rules of the reads do.
    public func invalidation(
        for head: HTTPRequestHead, scheme: String = "http", forwarded: ForwardedOrigin? = nil, path: NormalizedPath? = nil,
        response: HTTPResponseHead
    ) -> CacheInvalidation? {
        guard (200..<400).contains(response.status.code),
              var invalidation = invalidation(forUnanswered: head, scheme: scheme, forwarded: forwarded, path: path),
              let target = invalidation.targets.first
        else {
            return nil
        }
        for name in ["location", "content-location"] {
            guard let reference = response.headers.first(name: name),
                  let resolved = target.resolving(reference),
                  !invalidation.targets.contains(resolved)
            else { continue }
            invalidation.targets.append(resolved)
        }
        return invalidation
    }

    /// What a write whose answer never came invalidates: its client left, or the origin timed
    /// out or closed the connection, after the request went upstream. The origin may have
    /// carried it out all the same (most finish a request whoever is still listening), so its
    /// target and namespaces go as after a 2xx; nil for safe methods.
    public func invalidation(
        forUnanswered head: HTTPRequestHead, scheme: String = "http", forwarded: ForwardedOrigin? = nil, path: NormalizedPath? = nil
    ) -> CacheInvalidation? {
        guard !Self.isSafe(head.method) else { return nil }
        let target = CacheTarget(request: head, scheme: scheme, forwarded: forwarded)
        let namespaces = rules.isEmpty ? [] : rules.namespacesInvalidated(byWriteTo: path ?? NormalizedPath(target.path))
        return CacheInvalidation(targets: [target], namespaces: namespaces)
    }

    /// The URL key to purge for `target`, given the current version of its rule's namespace.
    public func urlKey(for target: CacheTarget, namespaceVersion: UInt64) -> CacheURLKey {
        keys.urlKey(for: target, namespace: namespace(of: target), namespaceVersion: namespaceVersion)
    }

    /// The namespace whose version `target`'s keys carry, if any: its rule's, chosen by the
    /// normalised path as the reads that stored it chose it.
    public func namespace(of target: CacheTarget) -> String? {
        rules.isEmpty ? nil : rules.rule(for: NormalizedPath(target.path))?.namespace
    }
}
