// Calendar fields of a Unix time in UTC, formatted for JSON (ISO 8601) and HTTP (IMF-fixdate).

/// Hand-rolled so that formatting a `Date` header or a `created_at` needs no formatter object.
struct UTCTime: Sendable, Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday.
    var weekday: Int

    init(secondsSince1970 seconds: Int) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        self.hour = secondOfDay / 3600
        self.minute = secondOfDay % 3600 / 60
        self.second = secondOfDay % 60
        // 1970-01-01 was a Thursday.
        self.weekday = ((days % 7) + 11) % 7
        // Howard Hinnant's days-to-civil algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        self.day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        self.month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.year = yearOfEra + era * 400 + (self.month <= 2 ? 1 : 0)
    }

    /// `2026-01-01T00:00:00Z`
    var iso8601: String {
        "\(Self.pad(self.year, 4))-\(Self.pad(self.month))-\(Self.pad(self.day))T"
            + "\(Self.pad(self.hour)):\(Self.pad(self.minute)):\(Self.pad(self.second))Z"
    }

    /// `Thu, 01 Jan 2026 00:00:00 GMT` (RFC 9110 §5.6.7).
    var httpDate: String {
        "\(Self.weekdays[self.weekday]), \(Self.pad(self.day)) \(Self.months[self.month - 1]) \(Self.pad(self.year, 4)) "
            + "\(Self.pad(self.hour)):\(Self.pad(self.minute)):\(Self.pad(self.second)) GMT"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
