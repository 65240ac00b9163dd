//! YS07's own scheme (内部考核) from 2016 — the place to record it once the county scheme exists.
//!
//! From 2016 YS07 assesses its sections with a scheme of its own: it takes over the city's key work
//! with raised points (revenue completion `ZGU-02`, 4 points in the city's scheme, counts 6 in the
//! county's) and adds local indicators of its own. The article's trend counts those local indicators
//! too: YS07's sections carry 44 city indicators in 2016 and 26 in 2017, and with four local ones each
//! year that is 48 and 30 — exactly 8 and 5 per section (`LOCAL_INDICATORS`).
//!
//! `steps` is where the county scheme is recorded: open `YS07-<year>`, take over `ZGU-02` with 600
//! points, define the local indicators of `LOCAL_INDICATORS` for that year, assign each to its section
//! in YS07's plan, and assess them month by month. Until it records them, `RECORDED` is false and the
//! demo prints the city's indicators alone, saying the local ones come with the county scheme; once it
//! does, set `RECORDED` and the trend view's counts (which add the local indicators of a county's own
//! scheme) come out at exactly 8 and 5, as the tests then check.

use super::Builder;

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

/// Whether `steps` records YS07's own scheme (and its local indicators) yet.
pub const RECORDED: bool = false;

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

/// Records YS07's own scheme of `year` (2016 and 2017) — nothing yet: the county scheme is being
/// built. Steps pushed here are merged into the year's in time order.
pub(super) fn steps(_builder: &mut Builder, _year: i32) {}
