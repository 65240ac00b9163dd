//! `PeriodId` (`2017-07`, `2017-Q3`, `2017-H1`, `2017`) and the kinds of base period a scheme may use.
//!
//! Invariant: a `PeriodId` is a real calendar period (month 1–12, quarter 1–4, half 1–2); periods order
//! by when they start and then by length, so base periods of one kind order chronologically.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How long a period is; a scheme's base periods are all of one kind [month].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl PeriodKind {
    pub const fn months(self) -> u8 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::HalfYear => 6,
            PeriodKind::Year => 12,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::HalfYear => "half_year",
            PeriodKind::Year => "year",
        }
    }

    pub const fn periods_per_year(self) -> u8 {
        12 / self.months()
    }
}

/// A period of one year: its kind and its 1-based index in the year (July is month 7, Q3 is quarter 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct PeriodId {
    year: i32,
    kind: PeriodKind,
    index: u8,
}

impl PeriodId {
    /// `None` when `index` is outside 1..=periods per year, or the year is outside 1000..=9999.
    pub fn new(year: i32, kind: PeriodKind, index: u8) -> Option<PeriodId> {
        let index_valid = (1..=kind.periods_per_year()).contains(&index);
        (index_valid && (1000..=9999).contains(&year)).then_some(PeriodId { year, kind, index })
    }

    pub fn month(year: i32, month: u8) -> Option<PeriodId> {
        PeriodId::new(year, PeriodKind::Month, month)
    }

    pub fn parse(text: &str) -> Result<PeriodId, String> {
        parse_period(text).ok_or_else(|| {
            format!("a period must look like \"2017-07\", \"2017-Q3\", \"2017-H1\" or \"2017\", got {text:?}")
        })
    }

    pub const fn year(self) -> i32 {
        self.year
    }

    pub const fn kind(self) -> PeriodKind {
        self.kind
    }

    pub const fn index(self) -> u8 {
        self.index
    }

    /// The first month of the period, 1..=12.
    pub const fn start_month(self) -> u8 {
        (self.index - 1) * self.kind.months() + 1
    }

    /// Whether `other` lies wholly inside this period (a period contains itself).
    pub fn contains(self, other: PeriodId) -> bool {
        let end_month = self.start_month() + self.kind.months();
        let other_end_month = other.start_month() + other.kind.months();
        self.year == other.year && other.start_month() >= self.start_month() && other_end_month <= end_month
    }

    /// Every period of `kind` in `year`, in order.
    pub fn all_in_year(year: i32, kind: PeriodKind) -> Vec<PeriodId> {
        (1..=kind.periods_per_year()).filter_map(|index| PeriodId::new(year, kind, index)).collect()
    }

    /// The period of the same kind just after this one, in the same year or the year after.
    pub fn next(self) -> Option<PeriodId> {
        match self.index == self.kind.periods_per_year() {
            true => PeriodId::new(self.year + 1, self.kind, 1),
            false => PeriodId::new(self.year, self.kind, self.index + 1),
        }
    }

    /// The period of the same kind just before this one, in the same year or the year before.
    pub fn previous(self) -> Option<PeriodId> {
        match self.index {
            1 => PeriodId::new(self.year - 1, self.kind, self.kind.periods_per_year()),
            index => PeriodId::new(self.year, self.kind, index - 1),
        }
    }
}

fn parse_period(text: &str) -> Option<PeriodId> {
    let (year_text, rest) = match text.split_once('-') {
        Some((year_text, rest)) => (year_text, Some(rest)),
        None => (text, None),
    };
    if year_text.len() != 4 || !year_text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    let (kind, index_text) = match rest {
        None => return PeriodId::new(year, PeriodKind::Year, 1),
        Some(rest) if rest.starts_with('Q') => (PeriodKind::Quarter, &rest[1..]),
        Some(rest) if rest.starts_with('H') => (PeriodKind::HalfYear, &rest[1..]),
        Some(rest) if rest.len() == 2 => (PeriodKind::Month, rest),
        Some(_) => return None,
    };
    if index_text.is_empty() || !index_text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    PeriodId::new(year, kind, index_text.parse().ok()?)
}

impl Ord for PeriodId {
    fn cmp(&self, other: &PeriodId) -> Ordering {
        let key = |period: &PeriodId| (period.year, period.start_month(), period.kind.months());
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for PeriodId {
    fn partial_cmp(&self, other: &PeriodId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PeriodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{:04}-{:02}", self.year, self.index),
            PeriodKind::Quarter => write!(f, "{:04}-Q{}", self.year, self.index),
            PeriodKind::HalfYear => write!(f, "{:04}-H{}", self.year, self.index),
            PeriodKind::Year => write!(f, "{:04}", self.year),
        }
    }
}

impl<'de> Deserialize<'de> for PeriodId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PeriodId, D::Error> {
        super::ids::deserialize_checked(deserializer, "a period", PeriodId::parse)
    }
}

impl TryFrom<String> for PeriodId {
    type Error = String;
    fn try_from(text: String) -> Result<PeriodId, String> {
        PeriodId::parse(&text)
    }
}

impl From<PeriodId> for String {
    fn from(period: PeriodId) -> String {
        period.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for text in ["2017-07", "2017-12", "2017-Q3", "2017-H1", "2017"] {
            assert_eq!(PeriodId::parse(text).unwrap().to_string(), text);
        }
        for bad in ["2017-13", "2017-00", "2017-Q5", "2017-H3", "17-07", "2017-7", "2017-Q", "2017-07-01"] {
            assert!(PeriodId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_and_containment() {
        let june = PeriodId::parse("2017-06").unwrap();
        let july = PeriodId::parse("2017-07").unwrap();
        let first_half = PeriodId::parse("2017-H1").unwrap();
        assert!(june < july);
        assert!(first_half.contains(june));
        assert!(!first_half.contains(july));
        assert!(PeriodId::parse("2017").unwrap().contains(first_half));
        assert_eq!(july.previous(), Some(june));
        assert_eq!(june.next(), Some(july));
        assert_eq!(PeriodId::parse("2016-Q4").unwrap().next(), PeriodId::parse("2017-Q1").ok());
        assert_eq!(PeriodId::parse("2017-01").unwrap().previous(), PeriodId::parse("2016-12").ok());
        assert_eq!(PeriodId::all_in_year(2017, PeriodKind::Quarter).len(), 4);
    }
}
