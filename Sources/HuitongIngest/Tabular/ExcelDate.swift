import HuitongCore

/// Excel stores dates and times as numbers — days since an epoch, with the time of day as the fraction — and only
/// the cell's number format says that a number is a date. This converts between the two.
enum ExcelDate {
    /// What a date number format shows.
    enum Kind: Sendable, Hashable {
        case date
        case dateTime
        case time
    }

    /// The largest serial Excel accepts: 9999-12-31 in the 1900 date system.
    private static let maxSerial = 2_958_465.999_999

    /// The serial of `date` in the 1900 date system, or `nil` before 1900-01-01. Excel counts 1900 as a leap year
    /// (copying a Lotus 1-2-3 bug), so from 1900-03-01 on, serials are one more than the true day count.
    static func serialNumber(of date: CalendarDate) -> Int? {
        let days = daysSinceUnixEpoch(year: date.year, month: date.month, day: date.day)
        let firstOfMarch1900 = daysSinceUnixEpoch(year: 1900, month: 3, day: 1)
        let lastDayOf1899 = daysSinceUnixEpoch(year: 1899, month: 12, day: 31)
        let thirtiethOfDecember1899 = daysSinceUnixEpoch(year: 1899, month: 12, day: 30)
        if days >= firstOfMarch1900 { return days - thirtiethOfDecember1899 }
        if days > lastDayOf1899 { return days - lastDayOf1899 }
        return nil
    }

    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS` for a serial number, or `nil` if it is not a date Excel
    /// could show (negative, or after 9999).
    static func text(serial: Double, kind: Kind, uses1904DateSystem: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial <= maxSerial else { return nil }
        // Rounded to the second first, so that 0.999999 of a day is midnight of the next day, not 23:59:59.9.
        let totalSeconds = Int((serial * 86_400).rounded())
        let dayNumber = totalSeconds / 86_400
        let secondOfDay = totalSeconds % 86_400
        let time = "\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))"
        if kind == .time { return time }
        let day = dateText(dayNumber: dayNumber, uses1904DateSystem: uses1904DateSystem)
        return kind == .dateTime ? "\(day) \(time)" : day
    }

    private static func dateText(dayNumber: Int, uses1904DateSystem: Bool) -> String {
        let days: Int
        if uses1904DateSystem {
            days = daysSinceUnixEpoch(year: 1904, month: 1, day: 1) + dayNumber
        } else if dayNumber >= 61 {
            days = daysSinceUnixEpoch(year: 1899, month: 12, day: 30) + dayNumber
        } else if dayNumber == 60 {
            return "1900-02-29"  // the day that never was, shown as Excel shows it
        } else if dayNumber == 0 {
            return "1900-01-00"  // Excel's display of serial 0
        } else {
            days = daysSinceUnixEpoch(year: 1899, month: 12, day: 31) + dayNumber
        }
        let (year, month, day) = civilDate(daysSinceUnixEpoch: days)
        return "\(pad(year, width: 4))-\(pad(month))-\(pad(day))"
    }

    private static func pad(_ number: Int, width: Int = 2) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysSinceUnixEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysSinceUnixEpoch` (Hinnant's `civil_from_days`).
    static func civilDate(daysSinceUnixEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Whether a number format shows dates or times, from its ID and (for IDs 164 and up, or IDs a workbook
    /// redefines) its format code.
    static func kind(numberFormatID id: Int, customCode: String?) -> Kind? {
        if let customCode { return kind(formatCode: customCode) }
        switch id {
        case 14...17, 27...31, 36, 50...54, 57, 58: return .date
        case 22: return .dateTime
        case 18...21, 32...35, 45...47, 55, 56: return .time
        default: return nil
        }
    }

    /// Reads the date and time tokens of a format code such as `yyyy"年"m"月"d"日"` or `[$-804]yyyy/m/d h:mm`,
    /// ignoring quoted literals, escaped characters, colours and locale tags, and the sections for negative
    /// numbers and text.
    static func kind(formatCode: String) -> Kind? {
        var hasYearOrDay = false
        var hasMonthOrMinute = false
        var hasHourOrSecond = false
        var inQuotes = false
        var inBrackets = false
        var bracketContent = ""
        var skipNext = false
        for character in formatCode.lowercased() {
            if skipNext {
                skipNext = false
                continue
            }
            if inQuotes {
                if character == "\"" { inQuotes = false }
                continue
            }
            if inBrackets {
                if character == "]" {
                    inBrackets = false
                    // [h], [mm], [ss]: elapsed time.
                    if !bracketContent.isEmpty && bracketContent.allSatisfy({ "hms".contains($0) }) {
                        hasHourOrSecond = true
                    }
                } else {
                    bracketContent.append(character)
                }
                continue
            }
            switch character {
            case "\"": inQuotes = true
            case "[":
                inBrackets = true
                bracketContent = ""
            case "\\", "_", "*": skipNext = true
            case ";": break
            case "y", "d": hasYearOrDay = true
            case "m": hasMonthOrMinute = true
            case "h", "s": hasHourOrSecond = true
            default: continue
            }
            if character == ";" { break }
        }
        let hasDate = hasYearOrDay || (hasMonthOrMinute && !hasHourOrSecond)
        switch (hasDate, hasHourOrSecond) {
        case (true, true): return .dateTime
        case (true, false): return .date
        case (false, true): return .time
        case (false, false): return nil
        }
    }
}
