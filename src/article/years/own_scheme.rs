//! YS07's own scheme (内部考核) from 2016 — the place to record it once the county scheme exists.
//!
//! From 2016 YS07 assesses its sections with a scheme of its own: it takes over the city's key work
//! with raised points (revenue completion `ZGU-02`, 4 points in the city's scheme, counts 6 in the
//! county's) and adds local indicators of its own. The article's trend counts those local indicators
//! too: YS07's sections carry 44 city indicators in 2016 and 26 in 2017, and with four local ones each
//! year that is 48 and 30 — exactly 8 and 5 per section (`LOCAL_INDICATORS`).
//!
//! `steps` records it: YS07's admin opens `YS07-<year>` a week after the city's scheme (the months
//! the city opens are open in it too), takes over `ZGU-02` at 6.00 points, defines the local
//! indicators of `LOCAL_INDICATORS` for that year (assessed by YS07's own office, by deduction), and
//! YS07's office assigns each to its section with the section chief responsible. The indicator-load
//! view counts the local ones beside the city's: exactly 8 and 5 per section. Monthly assessments
//! and publications of the county's scheme, its staff and their grades come with the county fixture
//! (issue 11).

use serde_json::json;

use super::{actor, local, office, Builder, PERSONS, SUBJECT};
use crate::domain::Role;

/// A local indicator YS07 plans for its own scheme: year, code, the section suffix that leads it, name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalIndicator {
    pub year: i32,
    pub code: &'static str,
    pub section: &'static str,
    pub name: &'static str,
}

/// YS07's local indicators: four in 2016, four in 2017.
pub const LOCAL_INDICATORS: [LocalIndicator; 8] = [
    LocalIndicator { year: 2016, code: "ZG-L01", section: "ZGG", name: "个人周工作纪实 (weekly work records)" },
    LocalIndicator {
        year: 2016, code: "ZGU-L01", section: "ZGU", name: "一户式档案整理 (one file per taxpayer)"
    },
    LocalIndicator { year: 2016, code: "NF-L01", section: "NFG", name: "窗口服务评价 (service-window ratings)" },
    LocalIndicator {
        year: 2016, code: "FG-L01", section: "FGG", name: "执法记录仪使用 (body cameras in enforcement)"
    },
    LocalIndicator { year: 2017, code: "ZG-L01", section: "ZGG", name: "个人周工作纪实 (weekly work records)" },
    LocalIndicator {
        year: 2017, code: "SZ-L01", section: "SZG", name: "重点税源户走访 (visits to key taxpayers)"
    },
    LocalIndicator { year: 2017, code: "NF-L01", section: "NFG", name: "窗口服务评价 (service-window ratings)" },
    LocalIndicator {
        year: 2017, code: "FG-L01", section: "FGG", name: "执法记录仪使用 (body cameras in enforcement)"
    },
];

/// Whether `steps` records YS07's own scheme (and its local indicators).
pub const RECORDED: bool = true;

/// The city indicator YS07 takes over with its own points: revenue completion, 6.00 instead of 4.00.
pub const TAKEN_OVER: (&str, i64) = ("ZGU-02", 600);

/// Points of each local indicator (hundredths).
const LOCAL_POINTS: i64 = 100;

/// The local indicators planned for `year`.
pub fn local_indicators(year: i32) -> impl Iterator<Item = &'static LocalIndicator> {
    LOCAL_INDICATORS.iter().filter(move |local| local.year == year)
}

/// The local indicators the ledger holds for `year`: the planned ones once `steps` records them.
pub fn recorded_local_indicators(year: i32) -> usize {
    if RECORDED {
        local_indicators(year).count()
    } else {
        0
    }
}

/// Records YS07's own scheme of `year` (2016 and 2017): opened, `TAKEN_OVER` taken over, the local
/// indicators defined and assigned. Steps pushed here are merged into the year's in time order.
pub(super) fn steps(builder: &mut Builder, year: i32) {
    let admin = actor("admin.ys07", Role::Admin, SUBJECT);
    let scheme = format!("{SUBJECT}-{year}");
    let city_scheme = format!("{}-{year}", super::CITY);
    let mut command = crate::article::open_scheme(crate::domain::UnitCode::new(SUBJECT).expect("YS07"), year);
    // A county's scheme ranks its sections by the sections' rule: no rule of units.
    command.unit_tier_rule = None;
    builder.push_command(format!("{scheme}.open"), local(year, 1, 28, 9, 0), &admin, command.into());
    let (code, points) = TAKEN_OVER;
    let payload = json!({"scheme": scheme, "indicator": code, "city_scheme": city_scheme, "points_max": points});
    builder.push(format!("{scheme}.take_over.{code}"), local(year, 1, 28, 9, 5), &admin, "TakeOverIndicator", payload);
    for (index, indicator) in local_indicators(year).enumerate() {
        let payload = json!({
            "scheme": scheme,
            "indicator": indicator.code,
            "name": indicator.name,
            "description": format!("{SUBJECT} 内部考核的本地指标 (a local indicator of {SUBJECT}'s own scheme): {}", indicator.name),
            "points_max": LOCAL_POINTS,
            "method": {"kind": "deduct"},
            "veto": false,
            "problem_categories": ["records_incomplete"],
            "assessor": SUBJECT,
        });
        let when = local(year, 1, 28, 9, 10).plus_micros(index as i64 * 1_000_000);
        builder.push(format!("{scheme}.indicator.{}", indicator.code), when, &admin, "DefineIndicator", payload);
        let function = super::FUNCTIONS
            .iter()
            .position(|(suffix, _, _)| *suffix == indicator.section)
            .expect("a section of the fixture");
        let payload = json!({
            "scheme": scheme,
            "indicator": indicator.code,
            "unit": SUBJECT,
            "lead_section": super::section(SUBJECT, function),
            "responsible_person": PERSONS[function + 1].0,
        });
        let when = local(year, 1, 28, 10, 0).plus_micros(index as i64 * 1_000_000);
        builder.push(format!("{scheme}.assign.{}", indicator.code), when, &office(SUBJECT), "AssignIndicator", payload);
    }
}
