//! `Timestamp`: an instant in UTC with microsecond precision, the only time type the system knows.
//!
//! It is a plain integer (microseconds since 1970-01-01T00:00:00Z) so that comparisons, windows and
//! deadlines are exact; its text form is RFC 3339 with six fractional digits and a `Z`, which is what
//! the event envelope stores. Reading the current time is not done here: clocks are injected by the
//! service, so this module stays pure.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds in one whole day of 24 hours, the unit of every window and deadline.
pub const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// An instant in UTC, microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    pub const fn from_unix_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    /// The instant `days` whole days of 24 hours later (earlier for negative `days`).
    pub const fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0 + days * MICROS_PER_DAY)
    }

    pub const fn plus_micros(self, micros: i64) -> Timestamp {
        Timestamp(self.0 + micros)
    }

    /// Parses RFC 3339 (any offset; stored as UTC). Sub-microsecond digits are truncated.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimestampError> {
        if let Some(timestamp) = Timestamp::parse_stored_form(text) {
            return Ok(timestamp);
        }
        let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|_| TimestampError(text.to_owned()))?;
        let micros = parsed.unix_timestamp_nanos() / 1_000;
        i64::try_from(micros).map(Timestamp).map_err(|_| TimestampError(text.to_owned()))
    }

    /// The form `Display` writes (`2017-07-11T09:30:00.000042Z`), parsed without the general RFC 3339
    /// machinery: every stored event carries one, so folding a ledger parses millions of them.
    fn parse_stored_form(text: &str) -> Option<Timestamp> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 27
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b'T'
            && bytes[13] == b':'
            && bytes[16] == b':'
            && bytes[19] == b'.'
            && bytes[26] == b'Z';
        if !shape_ok {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            bytes[range]
                .iter()
                .try_fold(0u32, |value, digit| digit.is_ascii_digit().then(|| value * 10 + u32::from(digit - b'0')))
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second, micros) = (number(11..13)?, number(14..16)?, number(17..19)?, number(20..26)?);
        let midnight = Timestamp::from_civil(year as i32, month as u8, day as u8, 0, 0, 0)?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let seconds = i64::from(hour * 3600 + minute * 60 + second);
        Some(midnight.plus_micros(seconds * 1_000_000 + i64::from(micros)))
    }

    /// Builds a UTC instant from a civil date and time; `None` when the fields are out of range.
    pub fn from_civil(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Timestamp> {
        let month = time::Month::try_from(month).ok()?;
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        let time_of_day = time::Time::from_hms(hour, minute, second).ok()?;
        let instant = time::PrimitiveDateTime::new(date, time_of_day).assume_utc();
        Some(Timestamp(i64::try_from(instant.unix_timestamp_nanos() / 1_000).ok()?))
    }

    pub(crate) fn to_offset_date_time(self) -> time::OffsetDateTime {
        // Every i64 of microseconds that this system produces lies well inside `time`'s range.
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .expect("timestamp within the supported range")
    }

    /// `(year, month, day)` of the instant in UTC.
    pub fn civil_date(self) -> (i32, u8, u8) {
        let date = self.to_offset_date_time().date();
        (date.year(), u8::from(date.month()), date.day())
    }
}

/// A fixed offset from UTC, in whole minutes: the ledger's time zone, in which a bare date such as
/// `2017-07-12` is read (as the end of that day). `+08:00`, China Standard Time, unless the ledger
/// records another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcOffset {
    minutes: i16,
}

impl UtcOffset {
    /// China Standard Time, the default of a ledger that records no time zone.
    pub const CHINA_STANDARD_TIME: UtcOffset = UtcOffset { minutes: 8 * 60 };
    pub const UTC: UtcOffset = UtcOffset { minutes: 0 };

    /// Offsets of whole minutes within ±14:00 (the range real zones use).
    pub fn from_minutes(minutes: i16) -> Option<UtcOffset> {
        (-14 * 60..=14 * 60).contains(&minutes).then_some(UtcOffset { minutes })
    }

    pub const fn minutes(self) -> i16 {
        self.minutes
    }

    /// `+08:00`, `-05:30`, `+00:00`.
    pub fn parse(text: &str) -> Result<UtcOffset, String> {
        let error = || format!("a UTC offset must look like \"+08:00\" or \"-05:30\", got {text:?}");
        let bytes = text.as_bytes();
        if bytes.len() != 6 || bytes[3] != b':' || !matches!(bytes[0], b'+' | b'-') {
            return Err(error());
        }
        if !text[1..3].bytes().chain(text[4..6].bytes()).all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let (hours, minutes): (i16, i16) =
            (text[1..3].parse().map_err(|_| error())?, text[4..6].parse().map_err(|_| error())?);
        if minutes > 59 {
            return Err(error());
        }
        let sign = if bytes[0] == b'-' { -1 } else { 1 };
        UtcOffset::from_minutes(sign * (hours * 60 + minutes)).ok_or_else(error)
    }

    /// `instant` as a person in this zone reads a clock: `2016-07-12 09:30`.
    pub fn local_minute(self, instant: Timestamp) -> String {
        let local = instant.plus_micros(i64::from(self.minutes) * 60_000_000).to_offset_date_time();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        )
    }

    /// The last instant (the last microsecond) of the civil day `date` in this zone.
    pub fn end_of_day(self, date: (i32, u8, u8)) -> Option<Timestamp> {
        let (year, month, day) = date;
        let midnight_utc = Timestamp::from_civil(year, month, day, 0, 0, 0)?;
        let next_midnight_local = midnight_utc.plus_days(1).plus_micros(-i64::from(self.minutes) * 60_000_000);
        Some(next_midnight_local.plus_micros(-1))
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let minutes = self.minutes.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

impl Serialize for UtcOffset {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UtcOffset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UtcOffset, D::Error> {
        super::ids::deserialize_checked(deserializer, "a UTC offset", UtcOffset::parse)
    }
}

/// Parses a civil date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<(i32, u8, u8)> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let all_digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(all_digits(0..4) && all_digits(5..7) && all_digits(8..10)) {
        return None;
    }
    let date = (text[0..4].parse().ok()?, text[5..7].parse().ok()?, text[8..10].parse().ok()?);
    Timestamp::from_civil(date.0, date.1, date.2, 0, 0, 0).map(|_| date)
}

/// The text was not an RFC 3339 instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 instant: {0:?}")]
pub struct TimestampError(pub String);

impl fmt::Display for Timestamp {
    /// `2017-07-11T09:30:00.000000Z`: fixed width, so text order is time order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_offset_date_time();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }
}

/// RFC 3339 text in JSON; microseconds since the epoch in a binary format (projection snapshots).
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

/// Reads either form whatever the format says it is (serde buffers tagged enums as human-readable).
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl serde::de::Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an RFC 3339 time")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(text).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, micros: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(micros))
            }
            fn visit_u64<E: serde::de::Error>(self, micros: u64) -> Result<Timestamp, E> {
                i64::try_from(micros).map(Timestamp).map_err(|_| E::custom("time out of range"))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(TimestampVisitor)
        } else {
            deserializer.deserialize_i64(TimestampVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_is_fixed_width() {
        let t = Timestamp::from_civil(2017, 7, 11, 9, 30, 0).unwrap().plus_micros(42);
        assert_eq!(t.to_string(), "2017-07-11T09:30:00.000042Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
        assert_eq!(Timestamp::parse_rfc3339("2017-07-11T17:30:00.000042+08:00").unwrap(), t);
    }

    #[test]
    fn days_are_24_hours() {
        let t = Timestamp::from_civil(2017, 7, 12, 0, 0, 0).unwrap();
        assert_eq!(t.plus_days(5), Timestamp::from_civil(2017, 7, 17, 0, 0, 0).unwrap());
        assert_eq!(t.civil_date(), (2017, 7, 12));
    }

    #[test]
    fn the_stored_form_and_the_general_parser_agree() {
        for text in ["2017-07-11T09:30:00.000042Z", "2016-02-29T23:59:59.999999Z", "1999-12-31T00:00:00.000000Z"] {
            let fast = Timestamp::parse_stored_form(text).unwrap();
            let general = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
            assert_eq!(fast.unix_micros() as i128, general.unix_timestamp_nanos() / 1_000, "{text}");
            assert_eq!(fast.to_string(), text);
        }
        assert_eq!(Timestamp::parse_stored_form("2017-02-30T00:00:00.000000Z"), None);
        assert_eq!(Timestamp::parse_stored_form("2017-07-11T24:00:00.000000Z"), None);
    }

    #[test]
    fn a_bare_date_is_the_end_of_that_day_in_the_ledger_zone() {
        let cst = UtcOffset::parse("+08:00").unwrap();
        assert_eq!(cst, UtcOffset::CHINA_STANDARD_TIME);
        let end = cst.end_of_day(parse_date("2017-07-12").unwrap()).unwrap();
        assert_eq!(end.to_string(), "2017-07-12T15:59:59.999999Z");
        let end_utc = UtcOffset::UTC.end_of_day((2017, 7, 12)).unwrap();
        assert_eq!(end_utc.to_string(), "2017-07-12T23:59:59.999999Z");
        assert_eq!(UtcOffset::parse("-05:30").unwrap().to_string(), "-05:30");
        for bad in ["+8:00", "08:00", "+08:60", "+15:00", "+0a:00", "UTC"] {
            assert!(UtcOffset::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_date("2017-02-30"), None);
        assert_eq!(parse_date("2017-7-12"), None);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Timestamp::parse_rfc3339("2017-07-11").is_err());
    }
}
