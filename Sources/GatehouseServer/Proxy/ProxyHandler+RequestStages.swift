// ProxyHandler+RequestStages: a request head's way in — validation, client address, identity, rate limits — before the cache and the origin.
import Foundation
import GatehouseCore
import NIOCore
import NIOHTTP1

extension ProxyHandler {
    func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch state {
        case .idle:
            break
        case .closed:
            return  // the connection ends after the current response; later pipelined requests are dropped
        case .connecting, .forwarding, .respondingLocally:
            // The pipelining handler delivers one request at a time; anything else is a bug upstream of us.
            closeConnection()
            return
        }
        connectionGuard.requestHeadReceived()
        recorder.requestStarted()
        let runtime = serverState.runtime
        let id: RequestIDValue = head.headers.first(name: RequestID.headerName).flatMap {
            RequestID.isAcceptable($0) ? .given($0) : nil
        } ?? requestIDs.next()
        let request = InFlightRequest(
            runtime: runtime, head: head, id: id, keepAlive: head.isKeepAlive, wallClock: WallClock.now()
        )
        if loopTurn.requestStarting(now: request.startedAt.uptimeNanoseconds) {
            recorder.loopYielded()
        }

        if let problem = RequestHeadValidator.problem(with: head) {
            respondLocally(problem, request: request, closeAfter: true)
            return
        }
        switch RequestBodyFraming.of(head, maxBodyBytes: runtime.maxBodyBytes) {
        case .success(let framing):
            request.framing = framing
        case .failure(let error):
            // A body too large to forward is still framed by its length: the 413 waits for it
            // (nginx's lingering close), where a close at once reset an upload still under way
            // and clients that write the whole body before reading (Python's http.client) never
            // saw the 413. Any other refusal here means framing that is not to be trusted.
            request.readsBodyBeforeClose = error.kind == .payloadTooLarge
            respondLocally(error, request: request, closeAfter: true)
            return
        }
        let peerIsTrusted = peerIP.map { runtime.clientIPs.isTrusted($0) } ?? false
        request.clientIP = peerIP.map { runtime.clientIPs.clientIP(peer: $0, headers: head.headers) }
        // The request's own start time: a token's validity to the second needs no second clock read.
        let now = Date(timeIntervalSince1970: request.startedAtWallClock)
        switch runtime.identity.resolve(headers: head.headers, peerIsTrusted: peerIsTrusted, now: now) {
        case .success(let user):
            request.user = user?.id
        case .failure(let error):
            // A presented credential that does not hold is refused, never treated as anonymous,
            // but only once the policies that need no user have counted it: otherwise bad or
            // expired tokens would be unlimited, each costing a signature check.
            request.credentialRefusal = error
        }
        request.peer = (peerAddress, peerIsTrusted)
        if !peerIsTrusted {
            // Only trusted proxies may name the user; from anyone else the header is dropped so an
            // origin that trusts it (it sits behind Gatehouse) cannot be told any name.
            request.droppedUserHeader = runtime.config.identity.userHeader
        }
        state = .connecting(request)
        guard runtime.rateLimiter.isActive, let clientIP = request.clientIP else {
            admitted(request)
            return
        }
        let rateLimited = RateLimitRequest(head: head, path: request.matchPath, clientIP: clientIP, user: request.user)
        switch runtime.rateLimiter.evaluate(
            rateLimited, on: context.eventLoop, deadlines: storeDeadlines, workspace: &rateLimitWorkspace
        ) {
        case .notApplicable:
            admitted(request)
        case .decided(let outcome):
            rateLimitDecided(.success(outcome), for: request)
        case .pending(let verdict):
            verdict.whenComplete { result in
                self.rateLimitDecided(result, for: request)
            }
        }
    }

    func rateLimitDecided(_ result: Result<RateLimitOutcome, any Error>, for request: InFlightRequest) {
        guard case .connecting(let current) = state, current === request else { return }
        switch result {
        case .failure(let error):
            if request.runtime.config.rateLimits.onStoreError == .deny {
                respondLocally(
                    GatehouseError(.unavailable, "Rate limits cannot be checked right now", source: .internalFailure, cause: error),
                    request: request, closeAfter: false
                )
                return
            }
            request.rateLimitDecision = "allowed"
        case .success(let outcome):
            recorder.rateLimitDecisions(outcome)
            let headers = RateLimitHeaders(outcome, plan: request.runtime.rateLimiter.plan)
            request.rateLimitHeaders = headers
            guard outcome.admitted else {
                request.rateLimitDecision = "limited"
                respondLocally(.rateLimited(outcome), request: request, closeAfter: false)
                return
            }
            request.rateLimitDecision = "allowed"
        }
        admitted(request)
    }

    /// Past the rate limits: refused for its credential (401), or on to the cache and upstream.
    func admitted(_ request: InFlightRequest) {
        guard let refusal = request.credentialRefusal else {
            consultCache(for: request)
            return
        }
        var challenge = HTTPHeaders()
        challenge.add(name: "WWW-Authenticate", value: #"Bearer realm="gatehouse""#)
        respondLocally(refusal, request: request, closeAfter: false, extraHeaders: challenge)
    }
}
