// RawErrorResponse+Refusal: answers a connection refused before any request (over a connection cap) and closes it.
import GatehouseCore
import NIOCore

extension RawErrorResponse {
    /// Writes `error` as a whole response and closes `channel`. For a connection refused as
    /// soon as it is accepted: it gets no handler, so nothing reads what it sends.
    static func refuse(_ channel: any Channel, _ error: GatehouseError) {
        let response = bytes(for: error, requestID: nil, allocator: channel.allocator)
        channel.writeAndFlush(response).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
