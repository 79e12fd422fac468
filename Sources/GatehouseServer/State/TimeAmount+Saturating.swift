// TimeAmount+Saturating: multiplying a time amount without NIO's trap on overflow.
import NIOCore

extension TimeAmount {
    /// `self × factor`, clamped to the largest (or smallest) amount instead of trapping.
    func saturatingMultiplied(by factor: Int64) -> TimeAmount {
        let (product, overflow) = nanoseconds.multipliedReportingOverflow(by: factor)
        guard overflow else { return .nanoseconds(product) }
        return .nanoseconds((nanoseconds < 0) == (factor < 0) ? .max : .min)
    }
}
