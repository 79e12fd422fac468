// HTTPDate: parses and formats HTTP dates (RFC 9110 §5.6.7) without a date formatter.

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) plus the two obsolete forms recipients must
/// accept: RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
public enum HTTPDate {
    /// The time `text` denotes, or nil when it is not a valid HTTP date. `now` places a
    /// two-digit RFC 850 year: a date more than 50 years ahead means the previous century.
    public static func parse<Text: StringProtocol>(_ text: Text, now: CacheTime) -> CacheTime? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == space || last == tab { bytes.removeLast() }
        let start = bytes.firstIndex(where: { $0 != space && $0 != tab }) ?? bytes.endIndex
        let trimmed = Array(bytes[start...])
        guard let comma = trimmed.firstIndex(of: UInt8(ascii: ",")) else {
            return parseAsctime(trimmed)
        }
        return comma == 3 ? parseIMFFixdate(trimmed) : parseRFC850(trimmed, now: now)
    }

    /// IMF-fixdate, the only form a sender may generate.
    public static func format(_ time: CacheTime) -> String {
        let seconds = time.secondsSince1970
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        // 1970-01-01 was a Thursday.
        let weekday = Int(((days % 7) + 11) % 7)
        return "\(weekdayNames[weekday]), \(pad(day, 2)) \(monthNames[month - 1]) \(pad(year, 4)) "
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)) GMT"
    }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    // Sun, 06 Nov 1994 08:49:37 GMT
    private static func parseIMFFixdate(_ bytes: [UInt8]) -> CacheTime? {
        guard bytes.count == 29, isName(bytes[0..<3], in: weekdayNames),
              bytes[3] == UInt8(ascii: ","), bytes[4] == space,
              let day = number(bytes[5..<7]), bytes[7] == space,
              let month = month(bytes[8..<11]), bytes[11] == space,
              let year = number(bytes[12..<16]), bytes[16] == space,
              let time = clock(bytes[17..<25]), bytes[25] == space, isGMT(bytes[26..<29])
        else { return nil }
        return make(year: year, month: month, day: day, time: time)
    }

    // Sunday, 06-Nov-94 08:49:37 GMT
    private static func parseRFC850(_ bytes: [UInt8], now: CacheTime) -> CacheTime? {
        guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")),
              isName(bytes[0..<comma], in: longWeekdayNames),
              bytes.count == comma + 24
        else { return nil }
        let rest = bytes[(comma + 1)...]
        let base = rest.startIndex
        guard rest[base] == space,
              let day = number(rest[(base + 1)..<(base + 3)]), rest[base + 3] == UInt8(ascii: "-"),
              let month = month(rest[(base + 4)..<(base + 7)]), rest[base + 7] == UInt8(ascii: "-"),
              let shortYear = number(rest[(base + 8)..<(base + 10)]), rest[base + 10] == space,
              let time = clock(rest[(base + 11)..<(base + 19)]), rest[base + 19] == space,
              isGMT(rest[(base + 20)..<(base + 23)])
        else { return nil }
        let currentYear = civil(fromDays: floorDiv(now.secondsSince1970, 86_400)).year
        var year = currentYear - currentYear % 100 + shortYear
        if year > currentYear + 50 {
            year -= 100
        }
        return make(year: year, month: month, day: day, time: time)
    }

    // Sun Nov  6 08:49:37 1994
    private static func parseAsctime(_ bytes: [UInt8]) -> CacheTime? {
        guard bytes.count == 24, isName(bytes[0..<3], in: weekdayNames), bytes[3] == space,
              let month = month(bytes[4..<7]), bytes[7] == space,
              let day = bytes[8] == space ? number(bytes[9..<10]) : number(bytes[8..<10]), bytes[10] == space,
              let time = clock(bytes[11..<19]), bytes[19] == space,
              let year = number(bytes[20..<24])
        else { return nil }
        return make(year: year, month: month, day: day, time: time)
    }

    private static func make(year: Int, month: Int, day: Int, time: Int) -> CacheTime? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return CacheTime(secondsSince1970: days(fromYear: year, month: month, day: day) * 86_400 + Int64(time))
    }

    /// `HH:MM:SS` as seconds of the day; a leap second (`:60`) is accepted.
    private static func clock(_ bytes: ArraySlice<UInt8>) -> Int? {
        let base = bytes.startIndex
        guard bytes.count == 8, bytes[base + 2] == UInt8(ascii: ":"), bytes[base + 5] == UInt8(ascii: ":"),
              let hour = number(bytes[base..<(base + 2)]), hour < 24,
              let minute = number(bytes[(base + 3)..<(base + 5)]), minute < 60,
              let second = number(bytes[(base + 6)..<(base + 8)]), second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func month(_ bytes: ArraySlice<UInt8>) -> Int? {
        monthNames.firstIndex(where: { matches(bytes, $0) }).map { $0 + 1 }
    }

    private static func isName(_ bytes: ArraySlice<UInt8>, in names: [String]) -> Bool {
        names.contains(where: { matches(bytes, $0) })
    }

    private static func isGMT(_ bytes: ArraySlice<UInt8>) -> Bool {
        matches(bytes, "GMT")
    }

    /// ASCII case-insensitive: the grammar says case-sensitive, but being lenient costs nothing.
    private static func matches(_ bytes: ArraySlice<UInt8>, _ name: String) -> Bool {
        guard bytes.count == name.utf8.count else { return false }
        return zip(bytes, name.utf8).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    private static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : (value - divisor + 1) / divisor
    }

    // Howard Hinnant's days_from_civil.
    private static func days(fromYear year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    // Howard Hinnant's civil_from_days.
    private static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDiv(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
