//! The article's story as the product tells it: what the demo records (`years`: the city's
//! indicators, every county's year and YS07's own scheme and staff, 2014–2017), and the pieces every
//! telling of it shares — a `Step` (a command, its context and a label), the deterministic ids of
//! `story_id`, the six sections of a county, YS07's head and section chiefs, and a scheme as the city
//! issues it. The shorter stories the tests tell of 2017 live in the test kit (`kpi_testkit::story`).
//!
//! Invariant: pure and deterministic — the same call returns the same steps with the same injected
//! times and ids, so every event decided from them is byte-identical from run to run.

pub mod years;

use uuid::{Builder, Uuid};

use crate::domain::command::{Command, OpenScheme};
use crate::domain::context::Context;
use crate::domain::ids::UnitCode;
use crate::domain::period::PeriodKind;
use crate::domain::points::Points;
use crate::domain::scheme::{RepeatRule, TierRule};
use crate::domain::Timestamp;

/// One step of the story: a command, the context it is decided in, and a label tests can find it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub label: String,
    pub command: Command,
    pub context: Context,
}

/// The six sections of every county: suffix, name, function code.
pub const SECTIONS: [(&str, &str, &str); 6] = [
    ("BGS", "办公室", "BGS"),
    ("ZGG", "政工股", "ZG"),
    ("ZGU", "征管股", "ZGU"),
    ("SZG", "税政股", "SZ"),
    ("NFG", "纳税服务股", "NF"),
    ("FGG", "法规股", "FG"),
];

/// YS07's head, who approves dropping indicators, and the six section chiefs, each responsible for
/// the indicators their section leads (in the order of `SECTIONS`): staff code, name, unit.
pub const PERSONS: [(&str, &str, &str); 7] = [
    ("YS07-0001", "赵局长", "YS07"),
    ("YS07-0101", "钱主任", "YS07-BGS"),
    ("YS07-0201", "孙股长", "YS07-ZGG"),
    ("YS07-0301", "李股长", "YS07-ZGU"),
    ("YS07-0401", "周股长", "YS07-SZG"),
    ("YS07-0501", "吴股长", "YS07-NFG"),
    ("YS07-0601", "郑股长", "YS07-FGG"),
];

/// A UUID v7 from a millisecond time and a counter, with no randomness.
pub fn story_id(when: Timestamp, counter: u64) -> Uuid {
    let millis = u64::try_from(when.unix_micros() / 1000).expect("fixture times are after 1970");
    let mut counter_bytes = [0u8; 10];
    counter_bytes[2..].copy_from_slice(&counter.to_be_bytes());
    Builder::from_unix_timestamp_millis(millis, &counter_bytes).into_uuid()
}

/// A scheme as the city issues it in the article: monthly base periods, county tiers by counts
/// 4/5/3, sections by score bands, five-day objection and escalation windows, a ten-day decision
/// window and a bonus cap of 3.00 points.
pub fn open_scheme(issuer: UnitCode, year: i32) -> OpenScheme {
    OpenScheme {
        issuer,
        year,
        base_period: PeriodKind::Month,
        unit_tier_rule: Some(TierRule::Counts { counts: vec![4, 5, 3] }),
        section_tier_rule: TierRule::default_for_sections(),
        section_tier_rules: Default::default(),
        objection_window_days: 5,
        escalation_window_days: 5,
        decision_window_days: 10,
        bonus_cap: Points(300),
        repeat_rule: RepeatRule::default(),
    }
}
