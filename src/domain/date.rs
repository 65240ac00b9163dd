//! Civil dates and ISO weeks: the day a move between sections takes effect (`Date`, `2017-07-01`) and
//! the week a weekly work record is for (`IsoWeek`, `2017-W27`). Pure integer arithmetic on days since
//! 1970-01-01 (proleptic Gregorian calendar), so the domain needs no calendar library.
//!
//! Invariant: a `Date` is a real day of the calendar between the years 1000 and 9999, and an `IsoWeek`
//! a real ISO 8601 week of its week-based year (week 53 only in years that have one). A week belongs to
//! the month, quarter and year that hold its Thursday, as ISO 8601 counts weeks.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::period::{PeriodId, PeriodKind};
use super::timestamp::UtcOffset;
use super::Timestamp;

use crate::limits;

/// A civil day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// `None` unless it is a day of the calendar in the years 1000 to 9999.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let valid = (limits::CALENDAR_YEAR_MIN..=limits::CALENDAR_YEAR_MAX).contains(&year)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, String> {
        let error = || format!("a date must look like \"2017-07-01\", got {text:?}");
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error());
        }
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if !(digits(0..4) && digits(5..7) && digits(8..10)) {
            return Err(error());
        }
        let year = text[0..4].parse().map_err(|_| error())?;
        let month = text[5..7].parse().map_err(|_| error())?;
        let day = text[8..10].parse().map_err(|_| error())?;
        Date::new(year, month, day).ok_or_else(error)
    }

    pub const fn year(self) -> i32 {
        self.year
    }

    pub const fn month(self) -> u8 {
        self.month
    }

    pub const fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The day `days` days since 1970-01-01; `None` outside the years 1000 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(i32::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?)
    }

    /// The day `days` days later (earlier for a negative number).
    pub fn plus_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// 1 for Monday to 7 for Sunday.
    pub fn iso_weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (4).
        u8::try_from((self.days_since_epoch() + 3).rem_euclid(7) + 1).expect("a weekday is 1 to 7")
    }

    /// The ISO week the day lies in.
    pub fn iso_week(self) -> IsoWeek {
        let thursday = self.plus_days(4 - i64::from(self.iso_weekday())).unwrap_or(self);
        let first_thursday_days = first_thursday(thursday.year).days_since_epoch();
        let week = (thursday.days_since_epoch() - first_thursday_days) / 7 + 1;
        IsoWeek { year: thursday.year, week: u8::try_from(week).expect("a week of the year") }
    }

    /// The day an instant falls on in the zone `offset`.
    pub fn of_instant(instant: Timestamp, offset: UtcOffset) -> Date {
        let local = instant.plus_micros(i64::from(offset.minutes()) * 60_000_000);
        let (year, month, day) = local.civil_date();
        Date::new(year, month, day).unwrap_or(Date { year: limits::CALENDAR_YEAR_MIN, month: 1, day: 1 })
    }

    /// The first day of a period.
    pub fn first_of(period: PeriodId) -> Date {
        Date::new(period.year(), period.start_month(), 1).expect("a period starts on a real day")
    }

    /// The last day of a period.
    pub fn last_of(period: PeriodId) -> Date {
        let end_month = period.start_month() + period.kind().months() - 1;
        Date::new(period.year(), end_month, days_in_month(period.year(), end_month)).expect("a real day")
    }

    /// The month the day lies in.
    pub fn month_period(self) -> PeriodId {
        PeriodId::new(self.year, PeriodKind::Month, self.month).expect("a real month")
    }
}

/// The Thursday of week 1 of `year`: the first Thursday of January.
fn first_thursday(year: i32) -> Date {
    let january_first = Date { year, month: 1, day: 1 };
    let weekday = i64::from(january_first.iso_weekday());
    january_first.plus_days((4 - weekday).rem_euclid(7)).unwrap_or(january_first)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl From<Date> for String {
    fn from(date: Date) -> String {
        date.to_string()
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        super::ids::deserialize_checked(deserializer, "a date", Date::parse)
    }
}

/// An ISO 8601 week: its week-based year and number (`2017-W27`, Monday 2017-07-03 to Sunday 07-09).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct IsoWeek {
    year: i32,
    week: u8,
}

impl IsoWeek {
    /// `None` unless the year has that week (52 or 53 weeks).
    pub fn new(year: i32, week: u8) -> Option<IsoWeek> {
        let candidate = IsoWeek { year, week };
        let valid = (limits::CALENDAR_YEAR_MIN + 1..=limits::CALENDAR_YEAR_MAX - 1).contains(&year)
            && week >= 1
            && week <= weeks_in(year);
        valid.then_some(candidate)
    }

    /// Parses `YYYY-Www`.
    pub fn parse(text: &str) -> Result<IsoWeek, String> {
        let error = || format!("a week must look like \"2017-W27\" (an ISO 8601 week), got {text:?}");
        let bytes = text.as_bytes();
        if bytes.len() != 8 || &text[4..6] != "-W" {
            return Err(error());
        }
        if !(bytes[0..4].iter().all(u8::is_ascii_digit) && bytes[6..8].iter().all(u8::is_ascii_digit)) {
            return Err(error());
        }
        let year = text[0..4].parse().map_err(|_| error())?;
        let week = text[6..8].parse().map_err(|_| error())?;
        IsoWeek::new(year, week).ok_or_else(error)
    }

    pub const fn year(self) -> i32 {
        self.year
    }

    pub const fn week(self) -> u8 {
        self.week
    }

    pub fn monday(self) -> Date {
        self.thursday().plus_days(-3).expect("a week within the supported years")
    }

    /// The Thursday: the day that places the week in a month, quarter and year.
    pub fn thursday(self) -> Date {
        first_thursday(self.year).plus_days(7 * (i64::from(self.week) - 1)).expect("a week within the supported years")
    }

    pub fn sunday(self) -> Date {
        self.thursday().plus_days(3).expect("a week within the supported years")
    }

    /// The month that holds the week's Thursday.
    pub fn month(self) -> PeriodId {
        self.thursday().month_period()
    }

    /// The weeks whose Thursday lies in `period`, in order.
    pub fn in_period(period: PeriodId) -> Vec<IsoWeek> {
        let (first, last) = (Date::first_of(period), Date::last_of(period));
        let mut week = first.iso_week();
        if week.thursday() < first {
            week = week.next();
        }
        let mut weeks = Vec::new();
        while week.thursday() <= last {
            weeks.push(week);
            week = week.next();
        }
        weeks
    }

    /// The week after this one.
    pub fn next(self) -> IsoWeek {
        self.thursday().plus_days(7).map_or(self, Date::iso_week)
    }
}

/// 53 when the year's last Thursday falls in week 53 (the year starts or, in a leap year, ends on a
/// Thursday), else 52.
fn weeks_in(year: i32) -> u8 {
    let december_28 = Date { year, month: 12, day: 28 };
    december_28.iso_week().week
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl From<IsoWeek> for String {
    fn from(week: IsoWeek) -> String {
        week.to_string()
    }
}

impl<'de> Deserialize<'de> for IsoWeek {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<IsoWeek, D::Error> {
        super::ids::deserialize_checked(deserializer, "an ISO week", IsoWeek::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn days_round_trip_and_weekdays_are_right() {
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("2017-07-03").iso_weekday(), 1, "a Monday");
        assert_eq!(date("2016-02-29").plus_days(1), Some(date("2016-03-01")));
        for days in [-200_000, -1, 0, 1, 17_000, 200_000] {
            assert_eq!(Date::from_days_since_epoch(days).unwrap().days_since_epoch(), days);
        }
        assert!(Date::parse("2017-02-29").is_err());
        assert!(Date::parse("2017-7-01").is_err());
    }

    #[test]
    fn iso_weeks_follow_their_thursday() {
        assert_eq!(date("2017-07-03").iso_week().to_string(), "2017-W27");
        assert_eq!(date("2017-01-01").iso_week().to_string(), "2016-W52", "a Sunday belongs to the week before");
        assert_eq!(date("2015-12-31").iso_week().to_string(), "2015-W53");
        assert_eq!(date("2018-12-31").iso_week().to_string(), "2019-W01");
        assert!(IsoWeek::parse("2017-W53").is_err(), "2017 has 52 weeks");
        assert!(IsoWeek::parse("2015-W53").is_ok());
        let week = IsoWeek::parse("2017-W27").unwrap();
        assert_eq!((week.monday(), week.sunday()), (date("2017-07-03"), date("2017-07-09")));
        assert_eq!(week.next().to_string(), "2017-W28");
        assert_eq!(IsoWeek::parse("2015-W53").unwrap().next().to_string(), "2016-W01");
    }

    #[test]
    fn a_quarter_holds_the_weeks_whose_thursday_it_holds() {
        let q3 = PeriodId::parse("2017-Q3").unwrap();
        let weeks = IsoWeek::in_period(q3);
        assert_eq!(weeks.first().unwrap().to_string(), "2017-W27", "Thursday 2017-06-29 is June's: W26 is Q2's");
        assert_eq!(weeks.len(), 13);
        let year = IsoWeek::in_period(PeriodId::parse("2015").unwrap());
        assert_eq!(year.len(), 53);
    }
}
