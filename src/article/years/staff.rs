//! YS07's staff and their year 2016 (个人绩效, docs/RULES.md §15): who they are, what they did week by
//! week, how their leaders reviewed them, their annual grades and the use the county made of them.
//!
//! Thirty staff join the six section chiefs (`PERSONS`) in YS07's sections, five to a section
//! (`STAFF`, registered with the organisation in 2014 by `registered`): 36 participants of YS07's
//! individual ranking of 2016, so 20 % gives a quota of seven 优秀. Each member's year is drawn
//! (SplitMix64, seeded by their staff code) to fit the grade the committee gives them (`Standing`): the
//! seven 优秀 are reviewed 95–98.5 and reach every target of their personal indicator, the others are
//! reviewed 80–88 and lose a little on theirs, one (基本称职) is reviewed below 72, misses six weekly
//! records and loses often.
//!
//! What happens when:
//!
//! - **2016, recorded at the time and imported with the year's history** (`year_2016`): YS07's
//!   committee sets its rules for 2016 (section 20, review 40, indicators 40, 0.20 off per missing
//!   week: the county weighs its staff's own work above their section's result); YS07's office gives
//!   each staff member a personal indicator of their section's work (by deduction or by tier, 10.00
//!   points) and assesses it early each next month, before the city's month is final; each quarter the
//!   section chief reviews their five and the leader in charge reviews all 36.
//! - **January 2017, lived** (`entered_2017`): a weekly record is the person's own act and history holds
//!   no access grants, so the weekly records of 2016 (kept in the bureau's old system) cannot be
//!   imported: YS07's admin gives each member a person token for a week, each enters their records
//!   from 01-20 to 01-22 — every ISO week of 2016 but the few they never wrote (`missing_weeks`) — and
//!   the section chiefs and the leader in charge comment on some of them on 01-23. Until then every
//!   week of 2016 reads as missing; YS07 holds its 2016 months published, not final, so that the
//!   records may still come in (`own_scheme::finalised_2017` makes them final on 01-24).
//! - **Grades and their use** (`graded_2017`): on 01-25 YS07's committee grades all 36 — seven 优秀
//!   (all in the first individual tier, within the quota), one 基本称职 with its reason, the rest
//!   称职 — and on 01-26 records, for each of the seven, the praise notice and the commendation (嘉奖)
//!   as uses of results resting on the individual ranking of 2016, read at the head.
//!
//! Invariant: pure and deterministic, like the rest of `years`; every member's draws come from a
//! generator of their own, so changing one member leaves the others' years as they were; every step
//! is dated after what it needs (a registration before its indicator, a grant before its records, a
//! record before its comments, the months final before the grades).

use serde_json::{json, Value};

use super::rng::SplitMix64;
use super::text::{deduction_reason, findings};
use super::{actor, local, next_month, office, Builder, FUNCTIONS, PERSONS, SUBJECT};
use crate::domain::date::IsoWeek;
use crate::domain::{Actor, PeriodId, Role, Timestamp};

/// The year of the staff's story.
pub const YEAR: i32 = 2016;

/// The grade YS07's committee gives a member for 2016; their year is drawn to fit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Excellent,
    Competent,
    BasicallyCompetent,
}

impl Standing {
    /// The grade as `RecordGrade` names it.
    pub const fn grade(self) -> &'static str {
        match self {
            Standing::Excellent => "excellent",
            Standing::Competent => "competent",
            Standing::BasicallyCompetent => "basically_competent",
        }
    }
}

/// A member of YS07's sections: staff code, name, section suffix and the grade they end 2016 with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub person: &'static str,
    pub name: &'static str,
    pub section: &'static str,
    pub standing: Standing,
}

impl Member {
    pub fn is_chief(&self) -> bool {
        PERSONS.iter().any(|(person, _, _)| *person == self.person)
    }

    /// The staff code's number (`YS07-0302` → 302): the seed of the member's draws.
    fn number(&self) -> u64 {
        self.person[5..].parse().expect("a staff code YS07-NNNN")
    }

    fn unit(&self) -> String {
        format!("{SUBJECT}-{}", self.section)
    }

    fn work(&self) -> &'static SectionWork {
        SECTION_WORK.iter().find(|work| work.section == self.section).expect("a section of the fixture")
    }

    /// The personal indicator YS07's office gives them (none for a chief, who carries the section's
    /// scheme indicators as their responsible person).
    pub fn indicator(&self) -> Option<String> {
        (!self.is_chief()).then(|| format!("P-{}-01", &self.person[5..]))
    }

    fn rng(&self, part: u64) -> SplitMix64 {
        SplitMix64::for_part(&[YEAR as u64, self.number(), part])
    }
}

const fn member(person: &'static str, name: &'static str, section: &'static str, standing: Standing) -> Member {
    Member { person, name, section, standing }
}

use Standing::{BasicallyCompetent as Basic, Competent, Excellent};

/// The thirty staff who join the chiefs, five to a section.
pub const STAFF: [Member; 30] = [
    member("YS07-0102", "王丽华", "BGS", Excellent),
    member("YS07-0103", "陈志强", "BGS", Excellent),
    member("YS07-0104", "刘晓燕", "BGS", Competent),
    member("YS07-0105", "杨建国", "BGS", Competent),
    member("YS07-0106", "黄海涛", "BGS", Competent),
    member("YS07-0202", "张敏", "ZGG", Excellent),
    member("YS07-0203", "林秀英", "ZGG", Competent),
    member("YS07-0204", "何俊杰", "ZGG", Competent),
    member("YS07-0205", "高明", "ZGG", Competent),
    member("YS07-0206", "罗静", "ZGG", Competent),
    member("YS07-0302", "梁伟", "ZGU", Excellent),
    member("YS07-0303", "宋佳", "ZGU", Competent),
    member("YS07-0304", "郭振华", "ZGU", Competent),
    member("YS07-0305", "马丽娟", "ZGU", Competent),
    member("YS07-0306", "胡斌", "ZGU", Competent),
    member("YS07-0402", "朱晓东", "SZG", Excellent),
    member("YS07-0403", "徐慧", "SZG", Competent),
    member("YS07-0404", "谢文斌", "SZG", Competent),
    member("YS07-0405", "韩雪", "SZG", Basic),
    member("YS07-0406", "唐亮", "SZG", Competent),
    member("YS07-0502", "冯婷婷", "NFG", Excellent),
    member("YS07-0503", "于洋", "NFG", Competent),
    member("YS07-0504", "董立新", "NFG", Competent),
    member("YS07-0505", "萧红梅", "NFG", Competent),
    member("YS07-0506", "程刚", "NFG", Competent),
    member("YS07-0602", "曹宇", "FGG", Excellent),
    member("YS07-0603", "袁芳", "FGG", Competent),
    member("YS07-0604", "邓磊", "FGG", Competent),
    member("YS07-0605", "许晶", "FGG", Competent),
    member("YS07-0606", "傅文涛", "FGG", Competent),
];

/// The member whose scorecard the demo shows: 优秀 in the revenue section, whose own result is low.
pub const SCORECARD_PERSON: &str = "YS07-0302";

/// Why the one 基本称职 is graded so.
pub const BASICALLY_COMPETENT_REASON: &str = "全年6周未填报个人周工作纪实，个人指标多次扣分，领导评鉴偏低 \
     (six weekly records never written, repeated deductions on the personal indicator, low reviews)";

/// Everyone in YS07's sections in 2016: the six chiefs (all 称职), then `STAFF`.
pub fn members() -> Vec<Member> {
    let chiefs = PERSONS.iter().filter(|(_, _, unit)| *unit != SUBJECT).map(|(person, name, unit)| Member {
        person,
        name,
        section: &unit[SUBJECT.len() + 1..],
        standing: Competent,
    });
    chiefs.chain(STAFF).collect()
}

/// The members YS07's committee grades 优秀 for 2016.
pub fn excellent() -> impl Iterator<Item = Member> {
    members().into_iter().filter(|member| member.standing == Excellent)
}

/// What a section's staff do: the personal indicator the office gives each of them (topic, tiered or by
/// deduction, the category of its findings) and what a week's record reports (Chinese, English).
struct SectionWork {
    section: &'static str,
    indicator: (&'static str, &'static str),
    tiered: bool,
    category: &'static str,
    weekly: [(&'static str, &'static str); 3],
}

const SECTION_WORK: [SectionWork; 6] = [
    SectionWork {
        section: "BGS",
        indicator: ("公文办理时效", "documents handled on time"),
        tiered: false,
        category: "late_submission",
        weekly: [
            ("办理来文{n}件", "handled {n} incoming documents"),
            ("核稿{n}份", "checked {n} drafts"),
            ("整理归档{n}卷", "filed {n} archive volumes"),
        ],
    },
    SectionWork {
        section: "ZGG",
        indicator: ("人事信息报送", "personnel reports on time"),
        tiered: false,
        category: "late_submission",
        weekly: [
            ("办理人事信息变更{n}条", "updated {n} personnel records"),
            ("组织培训{n}场", "ran {n} training sessions"),
            ("审核工资表{n}份", "checked {n} payrolls"),
        ],
    },
    SectionWork {
        section: "ZGU",
        indicator: ("户籍巡查完成率", "register checks completed"),
        tiered: true,
        category: "",
        weekly: [
            ("户籍巡查{n}户", "checked {n} registered taxpayers"),
            ("清理欠税{n}户", "cleared the arrears of {n} taxpayers"),
            ("整理一户式档案{n}户", "sorted {n} taxpayer files"),
        ],
    },
    SectionWork {
        section: "SZG",
        indicator: ("营改增辅导台账", "VAT-switch coaching records"),
        tiered: false,
        category: "records_incomplete",
        weekly: [
            ("营改增纳税人辅导{n}户", "coached {n} taxpayers through the VAT switch"),
            ("审核减免税备案{n}件", "checked {n} tax-relief filings"),
            ("撰写税收分析{n}页", "wrote {n} pages of tax analysis"),
        ],
    },
    SectionWork {
        section: "NFG",
        indicator: ("窗口业务办结率", "counter cases closed"),
        tiered: true,
        category: "",
        weekly: [
            ("窗口受理业务{n}笔", "took {n} cases at the counter"),
            ("答复12366咨询{n}次", "answered {n} hotline questions"),
            ("辅导网上申报{n}户", "coached {n} taxpayers filing online"),
        ],
    },
    SectionWork {
        section: "FGG",
        indicator: ("案卷评查合格率", "case files passing review"),
        tiered: true,
        category: "",
        weekly: [
            ("评查执法案卷{n}份", "reviewed {n} case files"),
            ("审核处罚决定{n}件", "checked {n} penalty decisions"),
            ("上传执法视频{n}段", "uploaded {n} body-camera recordings"),
        ],
    },
];

/// The tiers of a tiered personal indicator: standard, share (per mille), band of readings (tenths of
/// a per cent).
const PERSONAL_TIERS: [(&str, i64, (i64, i64)); 4] = [
    ("完成率 ≥ 98% (at least 98%)", 1000, (980, 1000)),
    ("完成率 ≥ 95% (at least 95%)", 800, (950, 979)),
    ("完成率 ≥ 90% (at least 90%)", 600, (900, 949)),
    ("完成率 < 90% (below 90%)", 0, (800, 899)),
];

/// Points of every personal indicator (hundredths).
const PERSONAL_POINTS: i64 = 1000;

/// Seeds of the parts of a member's year, so that each part draws on its own.
const DRAW_ASSESSMENTS: u64 = 1;
const DRAW_REVIEWS: u64 = 2;
const DRAW_WEEKS: u64 = 3;
const DRAW_COMMENTS: u64 = 4;

fn county_admin() -> Actor {
    actor("admin.ys07", Role::Admin, SUBJECT)
}

fn county_committee() -> Actor {
    actor("committee.ys07", Role::Committee, SUBJECT)
}

/// The section chief's leader token, and the leader in charge (分管领导) of the whole county.
fn chief_of(section: &str) -> Actor {
    let unit = format!("{SUBJECT}-{section}");
    actor(&format!("leader.{}", unit.to_lowercase()), Role::Leader, &unit)
}

fn leader_in_charge() -> Actor {
    actor("leader.ys07", Role::Leader, SUBJECT)
}

/// The actor id a member's own token acts as.
fn person_actor(member: &Member) -> Actor {
    actor(&format!("person.{}", member.person.to_lowercase()), Role::Person, &member.unit())
}

// ---- The history: 2014's organisation, and 2016 ---------------------------------------------------

/// The staff as the organisation of 2014 registers them, after the chiefs (`PERSONS`): they were in
/// their sections long before the county assessed them one by one.
pub(super) fn registered(builder: &mut Builder) {
    let admin = county_admin();
    for (index, member) in STAFF.iter().enumerate() {
        let when = local(2014, 1, 6, 9, 30).plus_micros(index as i64 * 1_000_000);
        let payload = json!({"person": member.person, "name": member.name, "unit": member.unit()});
        builder.push(format!("person.{}", member.person), when, &admin, "RegisterPerson", payload);
    }
}

/// 2016 as the bureau recorded it at the time: the county's rules, the personal indicators and their
/// monthly assessments, the quarterly reviews.
pub(super) fn year_2016(builder: &mut Builder) {
    let rules = json!({
        "unit": SUBJECT, "year": YEAR, "weights": {"section": 20, "review": 40, "indicators": 40},
        "tier_shares_percent": [30, 50, 20], "excellent_quota_percent": 20, "missing_week_deduction": 20,
    });
    builder.push(
        format!("{SUBJECT}.{YEAR}.personal_rules"),
        local(YEAR, 1, 29, 9, 0),
        &county_committee(),
        "SetPersonalRules",
        rules,
    );
    for (index, member) in STAFF.iter().enumerate() {
        let when = local(YEAR, 1, 29, 10, 0).plus_micros(index as i64 * 1_000_000);
        let code = member.indicator().expect("a staff member's indicator");
        builder.push(
            format!("{code}.define"),
            when,
            &office(SUBJECT),
            "DefinePersonalIndicator",
            personal_indicator(member),
        );
    }
    for month in 1..=12u8 {
        assessments(builder, month);
    }
    for quarter in 1..=4u8 {
        reviews(builder, quarter);
    }
}

fn personal_indicator(member: &Member) -> Value {
    let work = member.work();
    let method = super::method_payload(work.tiered.then_some(&PERSONAL_TIERS[..]));
    json!({
        "unit": SUBJECT, "year": YEAR, "indicator": member.indicator(), "person": member.person,
        "name": format!("{} ({})", work.indicator.0, work.indicator.1),
        "description": format!("{}的个人指标 ({}'s personal indicator)", member.name, member.person),
        "points_max": PERSONAL_POINTS, "method": method,
    })
}

/// What YS07's office records on the staff's personal indicators for `month`, on the 8th of the next
/// (the city makes its month final on the 18th): a tier every month on a tiered one, a deduction now
/// and then on the others — never for the 优秀, often for the 基本称职.
fn assessments(builder: &mut Builder, month: u8) {
    let period = format!("{YEAR}-{month:02}");
    let (year, next) = next_month(YEAR, month);
    let start = local(year, next, 8, 14, 0);
    for (index, member) in STAFF.iter().enumerate() {
        let mut rng = member.rng(DRAW_ASSESSMENTS * 100 + u64::from(month));
        let Some((outcome, reason)) = outcome(member, &mut rng) else { continue };
        let code = member.indicator().expect("a staff member's indicator");
        let payload =
            json!({"unit": SUBJECT, "indicator": code, "period": period, "outcome": outcome, "reason": reason});
        let when = start.plus_micros(index as i64 * 30_000_000);
        builder.push(format!("{code}.{period}.assess"), when, &office(SUBJECT), "AssessPersonalIndicator", payload);
    }
}

/// A month's outcome on a member's personal indicator, with its reason; none when a deduct indicator
/// found nothing.
fn outcome(member: &Member, rng: &mut SplitMix64) -> Option<(Value, String)> {
    let work = member.work();
    if work.tiered {
        let weights = match member.standing {
            Excellent => [1000, 0, 0, 0],
            Competent => [550, 350, 100, 0],
            Basic => [100, 400, 400, 100],
        };
        let tier = rng.weighted(&weights) as u32 + 1;
        let (low, high) = PERSONAL_TIERS[tier as usize - 1].2;
        let reading = rng.range(low, high);
        let value = format!("{}.{}%", reading / 10, reading % 10);
        let reason = format!("{}{value} ({} {value}): 第{tier}档 (tier {tier})", work.indicator.0, work.indicator.1);
        return Some((json!({"kind": "tier", "tier": tier}), reason));
    }
    let (chance, low, high) = match member.standing {
        Excellent => return None,
        Competent => (300, 50, 150),
        Basic => (700, 100, 300),
    };
    if !rng.chance(chance) {
        return None;
    }
    let points = rng.step_range(low, high, 25);
    let reason = deduction_reason(work.indicator, work.category, findings(rng, points));
    Some((json!({"kind": "deduction", "points": points}), reason))
}

/// The reviews of `quarter`, early in the next: each section chief reviews their five staff, then the
/// leader in charge reviews all 36 (the chiefs too).
fn reviews(builder: &mut Builder, quarter: u8) {
    let (year, month) = next_month(YEAR, quarter * 3);
    let day = if quarter == 4 { 6 } else { 7 };
    for (index, member) in STAFF.iter().enumerate() {
        let when = local(year, month, day, 10, 0).plus_micros(index as i64 * 60_000_000);
        review(builder, member, quarter, when, &chief_of(member.section));
    }
    for (index, member) in members().iter().enumerate() {
        let when = local(year, month, day, 15, 0).plus_micros(index as i64 * 60_000_000);
        review(builder, member, quarter, when, &leader_in_charge());
    }
}

/// One leader's review of a member for `quarter`, drawn in the band of their standing.
fn review(builder: &mut Builder, member: &Member, quarter: u8, when: Timestamp, leader: &Actor) {
    let by_chief = u64::from(leader.unit.as_str() != SUBJECT);
    let mut rng = member.rng(DRAW_REVIEWS * 100 + u64::from(quarter) * 10 + by_chief);
    let quarter = format!("{YEAR}-Q{quarter}");
    let (low, high) = match (member.standing, member.is_chief()) {
        (_, true) => (8300, 9000),
        (Excellent, false) => (9500, 9850),
        (Competent, false) => (8000, 8800),
        (Basic, false) => (6600, 7200),
    };
    let score = rng.step_range(low, high, 10);
    let comments: &[&str] = match (member.standing, member.is_chief()) {
        (_, true) => &[
            "股室管理有序，带队伍有方 (runs the section well)",
            "统筹有力，重点工作推进及时 (keeps the key work moving)",
        ],
        (Excellent, false) => &[
            "工作主动，成效突出 (takes the lead; outstanding results)",
            "业务精通，攻坚克难 (expert; takes on the hard cases)",
            "任务完成质量高，周纪实详实 (high-quality work, full weekly records)",
        ],
        (Competent, false) => &[
            "完成本职工作，质量稳定 (does the job, steady quality)",
            "工作认真，效率有待提高 (careful; could be quicker)",
            "能按时完成任务 (finishes tasks on time)",
        ],
        (Basic, false) => &["多次未填报周工作纪实，任务完成不及时 (weekly records often missing; tasks late)"],
    };
    let comment = *rng.pick(comments);
    let payload = json!({"person": member.person, "quarter": quarter, "score": score, "comment": comment});
    builder.push(format!("{}.{quarter}.review.{}", member.person, leader.id), when, leader, "ReviewPerson", payload);
}

// ---- January 2017: the weekly records of 2016 entered ----------------------------------------------

/// The ISO weeks of 2016 (by their Thursday): W01 to W52.
pub fn weeks() -> Vec<IsoWeek> {
    IsoWeek::in_period(PeriodId::parse("2016").expect("a year"))
}

/// The weeks of 2016 a member never wrote a record for: none for the 优秀, six for the 基本称职, and
/// none to two, drawn, for the others.
pub fn missing_weeks(member: &Member) -> Vec<IsoWeek> {
    let mut rng = member.rng(DRAW_WEEKS);
    let count = match member.standing {
        Excellent => 0,
        Competent => rng.weighted(&[600, 250, 150]),
        Basic => 6,
    };
    let weeks = weeks();
    let mut missing: Vec<IsoWeek> = Vec::new();
    while missing.len() < count {
        let week = *rng.pick(&weeks);
        if !missing.contains(&week) {
            missing.push(week);
        }
    }
    missing.sort();
    missing
}

/// January 2017: each member's person token (granted for a week), their weekly records of 2016, and
/// the leaders' comments on some of them.
pub(super) fn entered_2017(builder: &mut Builder) {
    let members = members();
    for (index, member) in members.iter().enumerate() {
        let when = local(2017, 1, 20, 8, 30).plus_micros(index as i64 * 1_000_000);
        builder.push(format!("{}.grant", member.person), when, &county_admin(), "GrantAccess", grant(member));
    }
    for (index, member) in members.iter().enumerate() {
        // Twelve members a day, forty minutes each, a record every thirty seconds.
        let start = local(2017, 1, 20 + (index / 12) as u8, 9, 0).plus_micros((index % 12) as i64 * 40 * 60_000_000);
        let missing = missing_weeks(member);
        let filed = weeks().into_iter().filter(|week| !missing.contains(week));
        for (position, week) in filed.enumerate() {
            let when = start.plus_micros(position as i64 * 30_000_000);
            let payload = weekly_record(member, week);
            builder.push(
                format!("{}.{week}.record", member.person),
                when,
                &person_actor(member),
                "FileWeeklyRecord",
                payload,
            );
        }
    }
    comments(builder, &members);
}

/// A grant whose token was never handed out beyond the entry itself: its hash names the purpose, and it
/// expired after a week (`valid_days`), long before anyone serves the demo.
fn grant(member: &Member) -> Value {
    let purpose = format!("kpi-ledger demo: {} enters the weekly records of 2016", member.person);
    json!({
        "token_hash": blake3::hash(purpose.as_bytes()).to_hex().to_string(),
        "actor_id": person_actor(member).id,
        "role": "person",
        "unit": member.unit(),
        "note": "录入2016年个人周工作纪实 (to enter the weekly records of 2016)",
        "valid_days": 7,
        "person": member.person,
    })
}

/// A week's record: two pieces of the section's work, counted, and the indicator it advanced — the
/// member's personal indicator, or for a chief the section's first city indicator they answer for.
fn weekly_record(member: &Member, week: IsoWeek) -> Value {
    let mut rng = member.rng(DRAW_WEEKS * 1000 + u64::from(week.week()));
    let work = member.work();
    let first = rng.below(3) as usize;
    let second = (first + 1 + rng.below(2) as usize) % 3;
    let (cn, en): (Vec<String>, Vec<String>) = [first, second]
        .iter()
        .map(|item| {
            let (cn, en) = work.weekly[*item];
            let n = rng.range(3, 40).to_string();
            (cn.replace("{n}", &n), en.replace("{n}", &n))
        })
        .unzip();
    let text = format!("{} ({})", cn.join("；"), en.join("; "));
    json!({"person": member.person, "week": week.to_string(), "text": text, "indicators": [advanced(member)]})
}

/// The indicator a member's weekly records advance: their personal indicator, or for a chief the first
/// city indicator of their section's function, which the county's plan makes them answer for.
fn advanced(member: &Member) -> Value {
    if let Some(code) = member.indicator() {
        return json!({"kind": "personal", "indicator": code});
    }
    let (_, _, function_code) = FUNCTIONS.iter().find(|(suffix, _, _)| *suffix == member.section).expect("a section");
    let scheme = format!("{}-{YEAR}", super::CITY);
    json!({"kind": "scheme", "scheme": scheme, "indicator": format!("{function_code}-01")})
}

const CHIEF_COMMENTS: [&str; 4] = [
    "按时完成，数据准确 (on time, figures right)",
    "注意台账同步更新 (keep the records up to date as you go)",
    "本周任务完成较好 (a good week)",
    "下周重点跟进遗留事项 (follow up the open items next week)",
];
const LEADER_COMMENTS: [&str; 3] = [
    "工作扎实，继续保持 (solid work, keep it up)",
    "注意总结经验，形成做法 (write down what worked)",
    "与股室重点工作结合更紧 (tie it closer to the section's key work)",
];

/// 2017-01-23: each chief comments on four weeks of each of their staff, the leader in charge on one
/// week of every member (two of each 优秀's).
fn comments(builder: &mut Builder, members: &[Member]) {
    let mut chief_at = local(2017, 1, 23, 9, 0);
    let mut leader_at = local(2017, 1, 23, 14, 0);
    for member in members {
        let mut rng = member.rng(DRAW_COMMENTS);
        let missing = missing_weeks(member);
        let filed: Vec<IsoWeek> = weeks().into_iter().filter(|week| !missing.contains(week)).collect();
        let mut pick_weeks = |count: usize| {
            let mut chosen: Vec<IsoWeek> = Vec::new();
            while chosen.len() < count {
                let week = *rng.pick(&filed);
                if !chosen.contains(&week) {
                    chosen.push(week);
                }
            }
            chosen.sort();
            chosen
        };
        let by_chief = if member.is_chief() { Vec::new() } else { pick_weeks(4) };
        let by_leader = pick_weeks(if member.standing == Excellent { 2 } else { 1 });
        for (index, week) in by_chief.into_iter().enumerate() {
            let comment = CHIEF_COMMENTS[(index + week.week() as usize) % CHIEF_COMMENTS.len()];
            comment_on(builder, member, week, comment, &chief_of(member.section), chief_at);
            chief_at = chief_at.plus_micros(30_000_000);
        }
        for (index, week) in by_leader.into_iter().enumerate() {
            let comment = LEADER_COMMENTS[(index + week.week() as usize) % LEADER_COMMENTS.len()];
            comment_on(builder, member, week, comment, &leader_in_charge(), leader_at);
            leader_at = leader_at.plus_micros(30_000_000);
        }
    }
}

fn comment_on(builder: &mut Builder, member: &Member, week: IsoWeek, comment: &str, leader: &Actor, when: Timestamp) {
    let payload = json!({"person": member.person, "week": week.to_string(), "comment": comment});
    builder.push(
        format!("{}.{week}.comment.{}", member.person, leader.id),
        when,
        leader,
        "CommentWeeklyRecord",
        payload,
    );
}

// ---- Grades and their use -------------------------------------------------------------------------

/// What YS07's committee makes of each 优秀 of 2016: kind of use, and the note naming the document.
const USES_OF_EXCELLENCE: [(&str, &str); 2] = [
    (
        "praise_notice",
        "丙国税发〔2017〕6号 关于通报表扬2016年度考核优秀人员的通报 (notice 6 of 2017: praise for the staff \
         graded 优秀 for 2016)",
    ),
    (
        "honour",
        "丙国税发〔2017〕7号 给予2016年度考核优秀人员嘉奖 (notice 7 of 2017: a commendation (嘉奖) for each 优秀 \
         of 2016)",
    ),
];

/// 2017-01-25: YS07's committee grades every member for 2016 (the months final the day before); on
/// 01-26 it records the praise notice and the commendation of each 优秀 as uses of results resting on
/// the individual ranking of 2016, read at the head.
pub(super) fn graded_2017(builder: &mut Builder) {
    let committee = county_committee();
    for (index, member) in members().iter().enumerate() {
        let mut payload =
            json!({"unit": SUBJECT, "person": member.person, "year": YEAR, "grade": member.standing.grade()});
        if member.standing == Basic {
            payload["reason"] = BASICALLY_COMPETENT_REASON.into();
        }
        let when = local(2017, 1, 25, 10, 0).plus_micros(index as i64 * 60_000_000);
        builder.push(format!("{}.{YEAR}.grade", member.person), when, &committee, "RecordGrade", payload);
    }
    for (index, member) in excellent().enumerate() {
        for (position, (kind, note)) in USES_OF_EXCELLENCE.iter().enumerate() {
            let payload = json!({
                "kind": kind,
                "subject": {"kind": "person", "person": member.person},
                "view": {"kind": "individual_ranking", "unit": SUBJECT, "year": YEAR},
                "note": note,
            });
            let when = local(2017, 1, 26, 10 + position as u8, 0).plus_micros(index as i64 * 60_000_000);
            builder.push(format!("{}.{YEAR}.{kind}", member.person), when, &committee, "RecordResultUse", payload);
        }
    }
}

/// Why the member who left asked to be erased, as the admin records it.
pub const ERASURE_LEGAL_BASIS: &str =
    "本人调离后申请删除个人信息（个人信息保护法第四十七条） (left the bureau and asked for erasure, PIPL art. 47)";

/// The member whose personal information is erased in 2017: the last one graded 称职.
pub fn erased() -> Member {
    *members().iter().rev().find(|member| member.standing == Competent).expect("a member graded 称职")
}

/// 2017-03-01: the member of `erased()` has left and asked for their personal information to be
/// erased; YS07's admin erases it. Their name and texts then read as erased, while every event, score,
/// grade and use of results stays as it was and the chain still verifies.
pub(super) fn erased_2017(builder: &mut Builder) {
    let payload = json!({"person": erased().person, "legal_basis": ERASURE_LEGAL_BASIS});
    let label = format!("{}.erased", erased().person);
    builder.push(label, local(2017, 3, 1, 10, 0), &county_admin(), "ErasePerson", payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_six_members_seven_excellent_one_basically_competent() {
        let members = members();
        assert_eq!(members.len(), 36);
        assert_eq!(excellent().count(), 7, "20 % of 36, rounded down");
        assert_eq!(members.iter().filter(|member| member.standing == Basic).count(), 1);
        let mut codes: Vec<&str> = members.iter().map(|member| member.person).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 36, "staff codes are unique");
        for (suffix, _, _) in FUNCTIONS {
            assert_eq!(members.iter().filter(|member| member.section == suffix).count(), 6, "{suffix}");
        }
    }

    #[test]
    fn the_52_weeks_of_2016_and_a_few_go_missing() {
        assert_eq!(weeks().len(), 52);
        let missing: usize = members().iter().map(|member| missing_weeks(member).len()).sum();
        assert!((6..=40).contains(&missing), "{missing} missing weeks");
        assert!(excellent().all(|member| missing_weeks(&member).is_empty()));
    }
}
