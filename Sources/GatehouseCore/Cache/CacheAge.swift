// CacheAge: the age calculation of RFC 9111 §4.2.3.

/// Age arithmetic in whole seconds.
public enum CacheAge {
    /// `corrected_initial_age`: the larger of the apparent age (`response_time - date_value`)
    /// and the upstream's own `Age` plus the time the response took to arrive. `dateValue` nil
    /// (no valid `Date`) means no apparent age.
    public static func correctedInitialAge(
        ageValue: Int64,
        dateValue: CacheTime?,
        requestTime: CacheTime,
        responseTime: CacheTime
    ) -> Int64 {
        let apparentAge = dateValue.map { max(0, responseTime - $0) } ?? 0
        let responseDelay = max(0, responseTime - requestTime)
        let correctedAgeValue = ageValue + responseDelay
        return min(max(apparentAge, correctedAgeValue), CacheControl.deltaSecondsLimit)
    }

    /// `current_age`: the initial age plus the time spent in this cache.
    public static func currentAge(initialAge: Int64, responseTime: CacheTime, now: CacheTime) -> Int64 {
        let residentTime = max(0, now - responseTime)
        // Saturating: an entry read from Redis may carry any initial age (another writer, a
        // corrupted or forged record), and an overflow would trap the process (FuzzCacheHeaders).
        let (age, overflow) = initialAge.addingReportingOverflow(residentTime)
        return overflow ? CacheControl.deltaSecondsLimit : min(age, CacheControl.deltaSecondsLimit)
    }
}
