//! Dates for the journal: call ids and day/week buckets in UTC (plain arithmetic), and the
//! user's local time for what people read (through jiff and the system's time-zone database).

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The user's time zone: `TZ` if set, else the system's; UTC if neither can be read.
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// Unix seconds as a time in `tz`.
pub fn zoned(secs: f64, tz: &TimeZone) -> Zoned {
    let ts = if secs.is_finite() {
        Timestamp::from_second(secs.floor() as i64).unwrap_or(Timestamp::UNIX_EPOCH)
    } else {
        Timestamp::UNIX_EPOCH
    };
    ts.to_zoned(tz.clone())
}

/// `YYYY-MM-DD HH:MM:SS` in `tz`.
pub fn format_local(secs: f64, tz: &TimeZone) -> String {
    zoned(secs, tz).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// ISO 8601 with the offset of `tz` at that instant (`2026-03-29T03:05:00+02:00`).
pub fn iso_local(secs: f64, tz: &TimeZone) -> String {
    zoned(secs, tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// When a call began, from its id (`YYYY-MM-DD-HH-MM-SS`, UTC), in Unix seconds.
pub fn call_start(id: &str) -> Option<f64> {
    let (date, time) = (id.get(..10)?, id.get(10..)?);
    let mut hms = time.strip_prefix('-')?.splitn(3, '-');
    let mut part = |max: u32| -> Option<f64> {
        let v: u32 = hms.next()?.parse().ok()?;
        (v <= max).then_some(v as f64)
    };
    let (h, m, s) = (part(23)?, part(59)?, part(60)?);
    Some(parse_date(date)? + h * 3600.0 + m * 60.0 + s)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for Unix seconds.
pub fn format_utc(secs: f64) -> String {
    let s = secs.floor() as i64;
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The UTC date (`YYYY-MM-DD`) of Unix seconds.
pub fn day_of(secs: f64) -> String {
    format_utc(secs)[..10].to_string()
}

/// The UTC date (`YYYY-MM-DD`) of the Monday that starts the week of Unix seconds.
pub fn week_of(secs: f64) -> String {
    let day = (secs.floor() as i64).div_euclid(86_400);
    // 1970-01-01 was a Thursday: three days after a Monday.
    let monday = day - (day + 3).rem_euclid(7);
    day_of((monday * 86_400) as f64)
}

/// Unix seconds at 00:00 UTC of a `YYYY-MM-DD` date, or `None` if it is not one.
pub fn parse_date(s: &str) -> Option<f64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((days_from_civil(y, m, d) * 86_400) as f64)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(format_utc(0.0), "1970-01-01 00:00:00");
        // 2026-11-28 is a Saturday; its week began on Monday 2026-11-23.
        assert_eq!(day_of(1_795_856_400.0), "2026-11-28");
        assert_eq!(week_of(1_795_856_400.0), "2026-11-23");
        assert_eq!(week_of(parse_date("2026-11-23").unwrap()), "2026-11-23");
        assert_eq!(
            week_of(parse_date("2026-11-22").unwrap() + 86_399.0),
            "2026-11-16"
        );
        assert_eq!(week_of(0.0), "1969-12-29");
        assert_eq!(format_utc(1_795_856_400.0), "2026-11-28 09:00:00");
        assert_eq!(parse_date("2026-11-28"), Some(1_795_824_000.0));
        assert_eq!(
            parse_date("2024-02-29").map(format_utc).as_deref(),
            Some("2024-02-29 00:00:00")
        );
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn local_times_follow_the_zone_across_daylight_saving() {
        let ams = TimeZone::get("Europe/Amsterdam").unwrap();
        // 2026-03-29 01:00 UTC: clocks in Amsterdam go from 02:00 to 03:00.
        let change = call_start("2026-03-29-01-00-00").unwrap();
        assert_eq!(format_local(change - 1.0, &ams), "2026-03-29 01:59:59");
        assert_eq!(format_local(change, &ams), "2026-03-29 03:00:00");
        assert_eq!(iso_local(change, &ams), "2026-03-29T03:00:00+02:00");
        assert_eq!(iso_local(0.0, &TimeZone::UTC), "1970-01-01T00:00:00+00:00");
        assert_eq!(call_start("2026-03-29-01-00"), None);
        assert_eq!(call_start("2026-03-29-24-00-00"), None);
        assert_eq!(call_start("call"), None);
        assert_eq!(format_local(f64::NAN, &ams), "1970-01-01 01:00:00");
    }
}
