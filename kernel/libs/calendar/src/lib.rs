//! Calendar arithmetic for the real-time clock: turning the date and time the PC's CMOS clock
//! (an MC146818) reports into seconds since the Unix epoch, which is what CLOCK_REALTIME counts.
//!
//! The RTC keeps its fields in BCD or binary and its hour in 12- or 24-hour form, as its status
//! register B says; [`RtcTime::decode`] turns the raw registers into a civil date, and
//! [`RtcTime::unix_seconds`] into Unix time (Linux's `mktime64`, proleptic Gregorian calendar, UTC:
//! the RTC of a PC running Linux, and QEMU's by default, keeps UTC).
#![no_std]

/// Status register B: the fields are binary (not BCD).
pub const RTC_B_BINARY: u8 = 0x04;
/// Status register B: the hour is in 24-hour form.
pub const RTC_B_24H: u8 = 0x02;
/// In the 12-hour form, the hour register's top bit says PM.
const HOUR_PM: u8 = 0x80;

/// The RTC registers as read: seconds, minutes, hours, day of month, month, year (two digits),
/// century (the register ACPI's FADT names; 0 when there is none), and status register B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtcRegisters {
    pub second: u8,
    pub minute: u8,
    pub hour: u8,
    pub day: u8,
    pub month: u8,
    pub year: u8,
    pub century: u8,
    pub status_b: u8,
}

/// A civil date and time (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// A BCD byte as its value (0x59 -> 59).
pub const fn bcd_to_binary(v: u8) -> u8 {
    (v & 0x0f) + (v >> 4) * 10
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it): Howard
/// Hinnant's `days_from_civil`, exact for every year an i64 can hold a day count for.
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400; // [0, 399]
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

impl RtcTime {
    /// Decodes the registers: BCD to binary unless register B says binary, 12-hour to 24-hour
    /// unless it says 24-hour, and a two-digit year into the century register's century (or
    /// 2000-2099 without one, as Linux's mc146818_get_time assumes for years below 70: here, any).
    pub fn decode(r: RtcRegisters) -> RtcTime {
        let binary = r.status_b & RTC_B_BINARY != 0;
        let field = |v: u8| if binary { v } else { bcd_to_binary(v) };
        let pm = r.status_b & RTC_B_24H == 0 && r.hour & HOUR_PM != 0;
        let mut hour = field(r.hour & !HOUR_PM) as u32;
        if r.status_b & RTC_B_24H == 0 {
            // 12 AM is hour 0, 12 PM hour 12.
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        let century = match r.century {
            0 => 20,
            c => field(c) as i64,
        };
        RtcTime {
            year: century * 100 + field(r.year) as i64,
            month: field(r.month) as u32,
            day: field(r.day) as u32,
            hour,
            minute: field(r.minute) as u32,
            second: field(r.second) as u32,
        }
    }

    /// Seconds since 1970-01-01 00:00:00 UTC. Out-of-range fields (a clock that reads garbage)
    /// are clamped into range rather than trusted: month 1..=12, day 1..=31.
    pub fn unix_seconds(&self) -> i64 {
        let month = self.month.clamp(1, 12);
        let day = self.day.clamp(1, 31);
        days_from_civil(self.year, month, day) * 86_400
            + self.hour.min(23) as i64 * 3600
            + self.minute.min(59) as i64 * 60
            + self.second.min(60) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // `date -u -d 2026-11-26 +%s` = 1795651200
        assert_eq!(days_from_civil(2026, 11, 26) * 86_400, 1_795_651_200);
        // The 2038 boundary: 2038-01-19 03:14:08 is 2^31.
        let t = RtcTime {
            year: 2038,
            month: 1,
            day: 19,
            hour: 3,
            minute: 14,
            second: 8,
        };
        assert_eq!(t.unix_seconds(), 1 << 31);
    }

    #[test]
    fn bcd_12_hour_registers() {
        // 2026-11-26 08:05:09 PM in BCD, 12-hour form, century register 0x20.
        let r = RtcRegisters {
            second: 0x09,
            minute: 0x05,
            hour: 0x80 | 0x08,
            day: 0x26,
            month: 0x11,
            year: 0x26,
            century: 0x20,
            status_b: 0,
        };
        let t = RtcTime::decode(r);
        assert_eq!(
            t,
            RtcTime {
                year: 2026,
                month: 11,
                day: 26,
                hour: 20,
                minute: 5,
                second: 9
            }
        );
        // 12 AM is midnight, 12 PM noon.
        let midnight = RtcTime::decode(RtcRegisters { hour: 0x12, ..r });
        assert_eq!(midnight.hour, 0);
        let noon = RtcTime::decode(RtcRegisters { hour: 0x92, ..r });
        assert_eq!(noon.hour, 12);
    }

    #[test]
    fn binary_24_hour_registers() {
        let r = RtcRegisters {
            second: 59,
            minute: 59,
            hour: 23,
            day: 31,
            month: 12,
            year: 99,
            century: 0,
            status_b: RTC_B_BINARY | RTC_B_24H,
        };
        let t = RtcTime::decode(r);
        assert_eq!(t.unix_seconds(), days_from_civil(2100, 1, 1) * 86_400 - 1);
    }

    /// The simple model: count days year by year and month by month.
    fn model_days(year: i64, month: u32, day: u32) -> i64 {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_len = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut days = 0i64;
        if year >= 1970 {
            for y in 1970..year {
                days += if leap(y) { 366 } else { 365 };
            }
        } else {
            for y in year..1970 {
                days -= if leap(y) { 366 } else { 365 };
            }
        }
        for m in 1..month {
            days += month_len(year, m);
        }
        days + day as i64 - 1
    }

    proptest::proptest! {
        #[test]
        fn days_match_the_model(year in 1600i64..2500, month in 1u32..=12, day in 1u32..=28) {
            proptest::prop_assert_eq!(days_from_civil(year, month, day), model_days(year, month, day));
        }

        #[test]
        fn bcd_round_trips(v in 0u8..100) {
            proptest::prop_assert_eq!(bcd_to_binary(((v / 10) << 4) | (v % 10)), v);
        }
    }
}
