//! A finding's triage status (active, waived, baselined) and calendar dates (waiver
//! expiry, date attributes).

use serde::Serialize;

/// A finding's status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Triage {
    /// Counts toward the exit code.
    #[default]
    Active,
    /// Covered by an approval in the waivers file.
    Waived {
        document: String,
        body: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Already in the baseline.
    Baselined,
}

impl Triage {
    pub fn is_active(&self) -> bool {
        matches!(self, Triage::Active)
    }

    /// `active`, `waived` or `baselined`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Triage::Active => "active",
            Triage::Waived { .. } => "waived",
            Triage::Baselined => "baselined",
        }
    }
}

/// A calendar date (proleptic Gregorian), as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(s: &str) -> std::result::Result<Date, String> {
        let bad = || format!("'{s}' is not a date (YYYY-MM-DD)");
        let mut it = s.trim().splitn(3, '-');
        let (y, m, d) = (it.next(), it.next(), it.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let date = Date {
            year: y.parse().map_err(|_| bad())?,
            month: m.parse().map_err(|_| bad())?,
            day: d.parse().map_err(|_| bad())?,
        };
        let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match date.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap(date.year) => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if date.day == 0 || date.day > days {
            return Err(bad());
        }
        Ok(date)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The same day `n` years later (29 February becomes 28 February in a common year).
    pub fn plus_years(self, n: i32) -> Date {
        let year = self.year + n;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let day = if self.month == 2 && self.day == 29 && !leap {
            28
        } else {
            self.day
        };
        Date {
            year,
            month: self.month,
            day,
        }
    }

    /// Calendar years from `self` to `end`: whole years, plus the elapsed fraction of the
    /// next one. Exactly two calendar years is 2.0 whatever the leap days; negative when `end`
    /// is earlier.
    pub fn years_until(self, end: Date) -> f64 {
        if end < self {
            return -end.years_until(self);
        }
        let mut k = end.year - self.year;
        while self.plus_years(k) > end {
            k -= 1;
        }
        let (a, b) = (self.plus_years(k), self.plus_years(k + 1));
        f64::from(k) + (end.days() - a.days()) as f64 / (b.days() - a.days()) as f64
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

/// A Unix time (seconds since 1970-01-01T00:00Z) as ISO text: the date alone at midnight,
/// else `YYYY-MM-DDTHH:MM:SS` (columnar formats store dates as timestamps).
///
/// ```
/// use ironrule::model::iso_of_seconds;
/// assert_eq!(iso_of_seconds(1_772_323_200), "2026-03-01");
/// assert_eq!(iso_of_seconds(1_772_323_200 + 30_605), "2026-03-01T08:30:05");
/// assert_eq!(iso_of_seconds(-1), "1969-12-31T23:59:59");
/// ```
pub fn iso_of_seconds(secs: i64) -> String {
    let d = Date::from_days(secs.div_euclid(86_400));
    match secs.rem_euclid(86_400) {
        0 => d.to_string(),
        s => format!("{d}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}
