// Array+Refill: an array refilled for each request without emptying it first.

extension Array {
    /// Puts `element` at `index` (at most `count`): over what a previous request left there, or
    /// appended. Refilling this way beats `removeAll(keepingCapacity:)` then `append`, whose emptying
    /// goes through `replaceSubrange` and showed in the rate-limit path's profile.
    mutating func refill(_ element: Element, at index: Int) {
        if index < count {
            self[index] = element
        } else {
            append(element)
        }
    }

    /// Drops what a previous, longer fill left past the first `newCount` elements.
    mutating func refillEnd(at newCount: Int) {
        if newCount < count {
            removeSubrange(newCount...)
        }
    }
}
