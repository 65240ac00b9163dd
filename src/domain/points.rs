//! `Points` (hundredths of a point), `PerMille` shares and the one half-up rounding rule.
//!
//! Invariant: scoring never touches a float. Every division that can leave a remainder goes through
//! `divide_round_half_up`, so the domain and the projections round identically to the last digit.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// A number of points in hundredths: `9260` is 92.60 points. Signed so that differences are plain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Points(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// The share of these points that `share` gives, rounded half-up (333 × 800‰ = 266.4 → 266).
    pub fn share(self, share: PerMille) -> Points {
        Points(divide_round_half_up(self.0 * i64::from(share.0), 1000))
    }

    /// `raw × 10000 / points_max_total`, rounded half-up: a score out of 100.00 whatever the total.
    /// `None` when the total is zero (a unit with no applicable indicator is not scored).
    pub fn normalized(raw: Points, points_max_total: Points) -> Option<Points> {
        (points_max_total.0 > 0).then(|| Points(divide_round_half_up(raw.0 * 10_000, points_max_total.0)))
    }

    /// The half-up mean of already-rounded scores; `None` for an empty list.
    pub fn mean(values: &[Points]) -> Option<Points> {
        let count = i64::try_from(values.len()).ok().filter(|count| *count > 0)?;
        let total: i64 = values.iter().map(|value| value.0).sum();
        Some(Points(divide_round_half_up(total, count)))
    }

    pub fn min(self, other: Points) -> Points {
        Points(self.0.min(other.0))
    }

    pub fn max(self, other: Points) -> Points {
        Points(self.0.max(other.0))
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, other: Points) -> Points {
        Points(self.0 + other.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, other: Points) -> Points {
        Points(self.0 - other.0)
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|points| points.0).sum())
    }
}

impl fmt::Display for Points {
    /// `92.60`, `-1.05`: two decimals, as people read points.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

/// A share in thousandths, 0..=1000: a tier's part of an indicator's `points_max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct PerMille(u16);

impl PerMille {
    pub const WHOLE: PerMille = PerMille(1000);

    pub fn new(value: u16) -> Option<PerMille> {
        (value <= 1000).then_some(PerMille(value))
    }

    pub const fn value(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for PerMille {
    type Error = String;
    fn try_from(value: u16) -> Result<PerMille, String> {
        PerMille::new(value).ok_or_else(|| format!("a per-mille share must be at most 1000, got {value}"))
    }
}

impl From<PerMille> for u16 {
    fn from(share: PerMille) -> u16 {
        share.0
    }
}

/// `numerator / denominator` rounded half-up (toward +∞ on an exact half), for `denominator > 0`.
///
/// Computed in i128 so that `points × 10000` cannot overflow for any i64 input.
pub fn divide_round_half_up(numerator: i64, denominator: i64) -> i64 {
    assert!(denominator > 0, "rounding needs a positive denominator");
    let twice = 2 * i128::from(numerator) + i128::from(denominator);
    let rounded = twice.div_euclid(2 * i128::from(denominator));
    i64::try_from(rounded).expect("a quotient of an i64 by a positive i64 fits an i64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_rounding() {
        assert_eq!(divide_round_half_up(2664, 10), 266);
        assert_eq!(divide_round_half_up(2665, 10), 267);
        assert_eq!(divide_round_half_up(-2665, 10), -266);
        assert_eq!(divide_round_half_up(-2666, 10), -267);
        assert_eq!(Points(333).share(PerMille(800)), Points(266));
    }

    #[test]
    fn normalized_and_mean() {
        assert_eq!(Points::normalized(Points(9000), Points(9200)), Some(Points(9783)));
        assert_eq!(Points::normalized(Points(0), Points(0)), None);
        assert_eq!(Points::mean(&[Points(9001), Points(9002)]), Some(Points(9002)));
        assert_eq!(Points::mean(&[]), None);
    }

    #[test]
    fn display_has_two_decimals() {
        assert_eq!(Points(9260).to_string(), "92.60");
        assert_eq!(Points(-105).to_string(), "-1.05");
        assert_eq!(Points(5).to_string(), "0.05");
    }
}
