/// SAS date, time and datetime literals: `'15mar2024'd` is days since 1 Jan 1960, `'13:30:05't` seconds since
/// midnight, `'15mar2024:13:30'dt` seconds since 1 Jan 1960 00:00. Two-digit years use SAS's default
/// YEARCUTOFF of 1926 (`'01jan25'd` is 2025, `'01jan26'd` is 1926).
enum WhereDateLiteral {
    enum Kind: String {
        case date = "d", time = "t", datetime = "dt"

        var noun: String {
            switch self {
            case .date: "date"
            case .time: "time"
            case .datetime: "datetime"
            }
        }

        var example: String {
            switch self {
            case .date: "'01jan2020'd"
            case .time: "'13:30:00't"
            case .datetime: "'01jan2020:13:30:00'dt"
            }
        }
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func value(_ text: String, _ kind: Kind) -> Double? {
        let t = text.trimmingBlanks.lowercased()
        switch kind {
        case .date: return date(t)
        case .time: return time(Substring(t))
        case .datetime:
            guard let colon = t.firstIndex(of: ":"), let d = date(String(t[..<colon])),
                let s = time(t[t.index(after: colon)...])
            else { return nil }
            return d * 86_400 + s
        }
    }

    /// `ddMMMyyyy` or `ddMMMyy` → days since 1960-01-01.
    private static func date(_ t: String) -> Double? {
        let chars = Array(t)
        guard let m = chars.firstIndex(where: \.isLetter), m >= 1, m <= 2, chars.count >= m + 5 else { return nil }
        guard let day = Int(String(chars[..<m])),
            let month = months.firstIndex(of: String(chars[m..<(m + 3)])).map({ $0 + 1 }),
            let y = Int(String(chars[(m + 3)...])), chars.count - m - 3 == 2 || chars.count - m - 3 == 4
        else { return nil }
        let year = chars.count - m - 3 == 4 ? y : (y < 26 ? 2000 + y : 1900 + y)
        guard (1...daysIn(month, year)).contains(day) else { return nil }
        return Double(daysFromCivil(year, month, day) - daysFromCivil(1960, 1, 1))
    }

    /// `hh:mm` or `hh:mm:ss[.fff]` → seconds.
    private static func time(_ t: Substring) -> Double? {
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]),
            (0...59).contains(m), h >= 0
        else { return nil }
        var seconds = 0.0
        if parts.count == 3 {
            guard let s = Double(parts[2]), s >= 0, s < 60 else { return nil }
            seconds = s
        }
        return Double(h * 3600 + m * 60) + seconds
    }

    private static func daysIn(_ month: Int, _ year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension String {
    /// Without leading and trailing blanks.
    fileprivate var trimmingBlanks: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
