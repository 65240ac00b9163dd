//! Levels of the administration and what may hang under what.
//!
//! Invariant: a unit that is not a section sits strictly below its parent's level; sections and
//! branches hang under any bureau, never under another section.

use serde::{Deserialize, Serialize};

/// The five levels of the administration, plus sections and branches inside a bureau.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    National,
    Province,
    City,
    County,
    /// A branch office (分局) of a county; assessed like a section.
    Branch,
    /// A section (股室) of a bureau.
    Section,
}

impl UnitLevel {
    /// Sections and branches: units inside a bureau, compared by function code across bureaus.
    pub const fn is_section(self) -> bool {
        matches!(self, UnitLevel::Branch | UnitLevel::Section)
    }

    /// Whether a unit of this level may have a parent of `parent` level.
    pub fn may_hang_under(self, parent: UnitLevel) -> bool {
        if parent.is_section() {
            return false;
        }
        self.is_section() || self > parent
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            UnitLevel::National => "national",
            UnitLevel::Province => "province",
            UnitLevel::City => "city",
            UnitLevel::County => "county",
            UnitLevel::Branch => "branch",
            UnitLevel::Section => "section",
        }
    }
}
