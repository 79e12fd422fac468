// AdminExchangeEvent: what AdminHandler tells AdminConnectionTimer about the request in progress.

/// Sent by `AdminHandler` as an outbound user event to `AdminConnectionTimer`, in front of the
/// HTTP codec, which cannot see where one request ends and its response is done.
enum AdminExchangeEvent {
    /// The request has been read whole; its answer may take a while (a reload).
    case requestReceived
    /// The response has been written and the connection stays open for the next request.
    case responded
}
