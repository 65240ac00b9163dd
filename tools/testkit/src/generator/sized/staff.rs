//! Each county's own scheme and its staff, for sizes `County` and `L` (docs/RULES.md §14, §15), year by
//! year beside the city's assessment:
//!
//! - **the county's own scheme**: opened by the root's admin after the city's plans, a tiered and a
//!   deduct city indicator taken over at 1.5 times their city points (so scores and charges are
//!   scaled, with halves to round), one local indicator per section (the third section's tiered, the
//!   second's a veto indicator); each month the office awards the tiered one, deducts now and then,
//!   rarely awards a bonus or a veto, and the county's committee publishes and finalises its month
//!   right after the city;
//! - **the staff**: registered with the organisation, five to nine to a section, the first of each
//!   section its chief; each year a person token for every member and a leader token for each chief and
//!   the leader in charge, the county's rules (0.20 off per missing week), a personal indicator for every
//!   member but the chiefs (by deduction or by tier) assessed every month; every week's record (three in
//!   a hundred never written) filed on the 1st of the next month and some commented on by the chief;
//!   each quarter the chief reviews their section and the leader in charge everyone; in July one member
//!   of each county moves to another section; from the second year one member retires and another is
//!   hired each January; after December is final the committee grades every participant (优秀 for the
//!   first tier within the quota, one 基本称职 now and then) and records a praise notice for each 优秀 and
//!   for its best section of the year.
//!
//! Invariant: every command is valid when run (`World::must`), and an annual grade rests on the same
//! individual standing the service would read (`World::must_with_basis`: the ranking is read once per
//! county, on the day of its grades, which change no standing).

use kpi_ledger::domain::command::*;
use kpi_ledger::domain::date::IsoWeek;
use kpi_ledger::domain::person::{
    AnnualGrade, CommandBasis, IndicatorRef, IndividualStanding, PartWeights, PersonalOutcome, ResultSubject,
    ResultUseKind, ResultView,
};
use kpi_ledger::domain::scheme::IndicatorMethod;
use kpi_ledger::domain::{
    Actor, IndicatorCode, PeriodId, PeriodKind, PersonId, Points, ProblemCategory, Role, SchemeId, TokenHash, UnitCode,
};
use kpi_ledger::projection::{Counting, PeerGroup};

use super::super::world::tiers;
use super::{actor, office, Choose, Generator, Shape, FUNCTIONS};

/// Surnames and given names the staff's names are made of (names are sealed: only their size matters).
const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "勇"];

/// A county's local indicator: its code, the section (index) that leads it, and how it is assessed.
struct Local {
    code: IndicatorCode,
    section: usize,
    kind: LocalKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LocalKind {
    Deduct,
    Tiered,
    Veto,
}

/// A county with its own scheme and staff.
pub(super) struct County {
    code: UnitCode,
    sections: Vec<UnitCode>,
    /// The issuer (city) that assesses it, and its place among the city's assessees.
    issuer: usize,
    assessee: usize,
    /// The county's own scheme of the year being assessed.
    own: SchemeId,
    committee: Actor,
    leader: Actor,
    locals: Vec<Local>,
    /// Every person ever registered in its sections, in order; the first of each section its chief.
    staff: Vec<PersonId>,
    chiefs: Vec<PersonId>,
    /// Staff numbers handed out per section (for the next hire's code).
    hired: Vec<usize>,
}

fn person_actor(person: &PersonId, county: &UnitCode) -> Actor {
    actor(format!("person.{}", person.as_str().to_lowercase()), Role::Person, county)
}

fn chief_actor(section: &UnitCode) -> Actor {
    actor(format!("leader.{}", section.as_str().to_lowercase()), Role::Leader, section)
}

fn indicator(text: String) -> IndicatorCode {
    IndicatorCode::new(text).expect("generated indicator codes are well-formed")
}

impl Generator {
    /// Registers every county's staff, `staff_per_county` spread over its sections.
    pub(super) fn register_staff(&mut self, shape: &Shape) {
        for issuer in 0..self.issuers.len() {
            for assessee in 0..self.issuers[issuer].assessees.len() {
                let county = &self.issuers[issuer].assessees[assessee];
                if county.sections.is_empty() {
                    continue;
                }
                let (code, sections) = (county.code.clone(), county.sections.clone());
                let lower = code.as_str().to_lowercase();
                let mut county = County {
                    own: SchemeId::for_issuer_year(&code, self.year),
                    committee: actor(format!("committee.{lower}"), Role::Committee, &code),
                    leader: actor(format!("leader.{lower}"), Role::Leader, &code),
                    code,
                    issuer,
                    assessee,
                    locals: Vec::new(),
                    staff: Vec::new(),
                    chiefs: Vec::new(),
                    hired: vec![0; sections.len()],
                    sections,
                };
                let per_section = shape.staff_per_county / county.sections.len();
                let extra = shape.staff_per_county % county.sections.len();
                for section in 0..county.sections.len() {
                    for _ in 0..per_section + usize::from(section < extra) {
                        let person = self.hire(&mut county, section);
                        if county.chiefs.len() == section {
                            county.chiefs.push(person);
                        }
                    }
                }
                self.counties.push(county);
            }
        }
    }

    /// Registers a new member of `section`.
    fn hire(&mut self, county: &mut County, section: usize) -> PersonId {
        county.hired[section] += 1;
        let person = PersonId::new(format!("{}-{:02}{:02}", county.code, section + 1, county.hired[section]))
            .expect("generated staff codes are well-formed");
        let number = county.staff.len() + self.counties.len() * 7;
        let name = format!("{}{}{}", SURNAMES[number % 12], GIVEN[number % 10], GIVEN[(number / 10) % 10]);
        let registration = RegisterPerson { person: person.clone(), name, unit: county.sections[section].clone() };
        let admin = self.admin.clone();
        self.world.must(&admin, registration);
        county.staff.push(person.clone());
        person
    }

    fn is_active(&self, person: &PersonId) -> bool {
        self.world.state.persons.get(person).is_some_and(|record| !record.is_retired())
    }

    /// Each county's own scheme of the year: opened, two city indicators taken over, a local indicator
    /// for each section defined and assigned.
    pub(super) fn own_schemes(&mut self) {
        self.world.advance_to(self.at(1, 21, 9));
        let admin = self.admin.clone();
        for index in 0..self.counties.len() {
            let county = &self.counties[index];
            let (code, sections) = (county.code.clone(), county.sections.clone());
            let own = SchemeId::for_issuer_year(&code, self.year);
            let issuer = &self.issuers[county.issuer];
            let dropped = &issuer.assessees[county.assessee].dropped;
            let carried = |tiered: bool| {
                issuer.indicators.iter().find(|planned| {
                    planned.tiered == tiered
                        && !planned.veto
                        && planned.function.is_some_and(|function| function < sections.len())
                        && !dropped.contains(&planned.code)
                })
            };
            let taken_over: Vec<(IndicatorCode, Points)> = [(true, 600), (false, 300)]
                .into_iter()
                .filter_map(|(tiered, points)| carried(tiered).map(|planned| (planned.code.clone(), Points(points))))
                .collect();
            let city_scheme = issuer.scheme.clone();
            let opening =
                OpenScheme { unit_tier_rule: None, ..kpi_ledger::article::open_scheme(code.clone(), self.year) };
            self.world.must(&admin, opening);
            for (indicator, points_max) in taken_over {
                let take_over = TakeOverIndicator {
                    scheme: own.clone(),
                    indicator,
                    city_scheme: city_scheme.clone(),
                    points_max,
                    effective_from: None,
                };
                self.world.must(&admin, take_over);
            }
            let mut locals = Vec::new();
            for (section, unit) in sections.iter().enumerate() {
                let kind = match section {
                    1 => LocalKind::Veto,
                    2 => LocalKind::Tiered,
                    _ => LocalKind::Deduct,
                };
                let code_text = indicator(format!("{code}-{}-01", FUNCTIONS[section]));
                let (points, method) = match kind {
                    LocalKind::Tiered => (200, IndicatorMethod::Tiered { tiers: tiers(&[1000, 800, 600, 0]) }),
                    _ => (100, IndicatorMethod::Deduct),
                };
                let definition = DefineIndicator {
                    scheme: own.clone(),
                    indicator: code_text.clone(),
                    name: format!("{unit}'s own work"),
                    description: String::new(),
                    points_max: Points(points),
                    method,
                    veto: kind == LocalKind::Veto,
                    problem_categories: Vec::new(),
                    assessor: code.clone(),
                    effective_from: None,
                };
                self.world.must(&admin, definition);
                let assignment = AssignIndicator {
                    scheme: own.clone(),
                    indicator: code_text.clone(),
                    unit: code.clone(),
                    lead_section: unit.clone(),
                    supporting_sections: Vec::new(),
                    responsible_person: None,
                    effective_from: None,
                };
                self.world.must(&office(&code), assignment);
                locals.push(Local { code: code_text, section, kind });
            }
            self.counties[index].own = own;
            self.counties[index].locals = locals;
        }
    }

    /// The staff's year: a retirement and a hire after the first year, tokens, the county's rules and
    /// a personal indicator for every member but the chiefs.
    pub(super) fn staff_year(&mut self) {
        self.world.advance_to(self.at(1, 22, 9));
        let admin = self.admin.clone();
        let first_year = self.events_year_is_first();
        for index in 0..self.counties.len() {
            let mut county = std::mem::replace(&mut self.counties[index], placeholder());
            if !first_year {
                self.turnover(&mut county);
            }
            let members: Vec<PersonId> = county.staff.iter().filter(|person| self.is_active(person)).cloned().collect();
            for person in &members {
                let grant = self.grant(person_actor(person, &county.code), &county.code, Some(person.clone()));
                self.world.must(&admin, grant);
            }
            for (section, chief) in county.sections.clone().iter().zip(county.chiefs.clone()) {
                let grant = self.grant(chief_actor(section), section, Some(chief));
                self.world.must(&admin, grant);
            }
            let grant = self.grant(county.leader.clone(), &county.code, None);
            self.world.must(&admin, grant);
            let rules = SetPersonalRules {
                unit: county.code.clone(),
                year: self.year,
                weights: PartWeights::default(),
                tier_shares_percent: vec![30, 50, 20],
                excellent_quota_percent: 20,
                missing_week_deduction: Points(20),
            };
            self.world.must(&county.committee, rules);
            let office = office(&county.code);
            for person in members.iter().filter(|person| !county.chiefs.contains(person)) {
                let tiered = self.choices.percent(40);
                let method = match tiered {
                    true => IndicatorMethod::Tiered { tiers: tiers(&[1000, 800, 600]) },
                    false => IndicatorMethod::Deduct,
                };
                let definition = DefinePersonalIndicator {
                    unit: county.code.clone(),
                    year: self.year,
                    indicator: personal_code(person),
                    person: person.clone(),
                    name: "the member's own work".to_owned(),
                    description: String::new(),
                    points_max: Points(1000),
                    method,
                    effective_from: None,
                };
                self.world.must(&office, definition);
            }
            self.counties[index] = county;
        }
    }

    /// Whether the year being assessed is the history's first (no county scheme of an earlier year).
    fn events_year_is_first(&self) -> bool {
        self.counties.first().is_none_or(|county| {
            let earlier = SchemeId::for_issuer_year(&county.code, self.year - 1);
            !self.world.state.schemes.contains_key(&earlier)
        })
    }

    /// One member (not a chief) retires and another is hired into the same section.
    fn turnover(&mut self, county: &mut County) {
        let members: Vec<PersonId> = county
            .staff
            .iter()
            .filter(|person| self.is_active(person) && !county.chiefs.contains(person))
            .cloned()
            .collect();
        let Some(leaving) = members.get(self.choices.below(members.len() as u64) as usize).cloned() else { return };
        let section = self.world.state.persons[&leaving].unit().clone();
        let admin = self.admin.clone();
        self.world.must(&admin, RetirePerson { person: leaving, reason: "retired".to_owned() });
        if let Some(index) = county.sections.iter().position(|unit| *unit == section) {
            self.hire(county, index);
        }
    }

    fn grant(&mut self, holder: Actor, unit: &UnitCode, person: Option<PersonId>) -> GrantAccess {
        self.tokens += 1;
        GrantAccess {
            token_hash: TokenHash::new(format!("{:064x}", 0x5_7aff_0000_0000u64 + self.tokens)).expect("64 hex digits"),
            actor_id: holder.id,
            role: holder.role,
            unit: unit.clone(),
            note: format!("{}'s token of {}", unit, self.year),
            valid_days: Some(366),
            person,
        }
    }

    /// The weeks whose Thursday lies in `month`, filed on the 1st of the next by everyone who belonged
    /// somewhere that Thursday (three in a hundred never), some commented on by the chief.
    pub(super) fn weekly_records(&mut self, month: u8) {
        let weeks = IsoWeek::in_period(self.period(month));
        for index in 0..self.counties.len() {
            let county = &self.counties[index];
            let (code, staff, chiefs, sections) =
                (county.code.clone(), county.staff.clone(), county.chiefs.clone(), county.sections.clone());
            for person in &staff {
                if !self.is_active(person) {
                    continue;
                }
                for week in &weeks {
                    let Some(unit) = self.world.state.persons[person].unit_on(week.thursday()).cloned() else {
                        continue;
                    };
                    if self.choices.percent(3) {
                        continue;
                    }
                    let mut indicators = Vec::new();
                    if !chiefs.contains(person) && self.choices.percent(20) {
                        indicators.push(IndicatorRef::Personal { indicator: personal_code(person) });
                    }
                    let text = format!("{week}：办理事项{}件，整理台账{}份", 3 + week.week() % 7, 1 + week.week() % 4);
                    let record = FileWeeklyRecord { person: person.clone(), week: *week, text, indicators };
                    self.world.must(&person_actor(person, &code), record);
                    let chief = sections.iter().position(|section| *section == unit).map(|index| &chiefs[index]);
                    if chief.is_some_and(|chief| chief != person) && self.choices.percent(15) {
                        let comment = CommentWeeklyRecord {
                            person: person.clone(),
                            week: *week,
                            comment: "按时完成，继续保持".to_owned(),
                        };
                        self.world.must(&chief_actor(&unit), comment);
                    }
                }
            }
        }
    }

    /// Each county's office assesses its sections in its own scheme after the city has assessed it.
    pub(super) fn own_assessment(&mut self, month: u8) {
        let period = self.period(month);
        for index in 0..self.counties.len() {
            let county = &self.counties[index];
            let (code, own, sections) = (county.code.clone(), county.own.clone(), county.sections.clone());
            let locals: Vec<(IndicatorCode, usize, LocalKind)> =
                county.locals.iter().map(|local| (local.code.clone(), local.section, local.kind)).collect();
            let office = office(&code);
            for (indicator, section, kind) in &locals {
                let unit = sections[*section].clone();
                match kind {
                    LocalKind::Tiered => {
                        let tier = [1, 1, 1, 1, 1, 2, 2, 2, 3, 4][self.choices.below(10) as usize];
                        let award = AwardTier {
                            scheme: own.clone(),
                            period,
                            unit,
                            indicator: indicator.clone(),
                            tier,
                            reason: format!("本月完成情况评为第{tier}档"),
                        };
                        self.world.must(&office, award);
                    }
                    LocalKind::Deduct | LocalKind::Veto => {
                        if !self.choices.percent(25) {
                            continue;
                        }
                        let scheme = &self.world.state.schemes[&own];
                        let left = Points(100) - self.world.state.deducted_points(scheme, period, &unit, indicator);
                        let points = Points([10, 20, 25, 50][self.choices.below(4) as usize]).min(left);
                        if points <= Points::ZERO {
                            continue;
                        }
                        let deduction = RecordDeduction {
                            scheme: own.clone(),
                            period,
                            unit,
                            indicator: indicator.clone(),
                            points,
                            reason: "台账登记不及时".to_owned(),
                            problem_category: ProblemCategory::new("late_submission").expect("a category"),
                            evidence_digests: Vec::new(),
                            links: Vec::new(),
                        };
                        self.world.must(&office, deduction);
                    }
                }
            }
            if self.choices.percent(5) {
                let unit = sections[self.choices.below(sections.len() as u64) as usize].clone();
                let points = Points(50 * (1 + self.choices.below(4) as i64));
                let bonus =
                    AwardBonus {
                        scheme: own.clone(), period, unit, points, reason: "受到县局通报表扬".to_owned()
                    };
                self.world.must(&office, bonus);
            }
            let veto = locals.iter().find(|(_, _, kind)| *kind == LocalKind::Veto);
            if let Some((indicator, section, _)) = veto.filter(|_| self.choices.below(1000) < 3) {
                let veto = ApplyVeto {
                    scheme: own.clone(),
                    period,
                    unit: sections[*section].clone(),
                    indicator: indicator.clone(),
                    reason: "发生违纪案件".to_owned(),
                };
                self.world.must(&office, veto);
            }
        }
    }

    /// Each county's committee publishes (or finalises) its own month, right after the city.
    pub(super) fn own_lifecycle(&mut self, month: u8, publish: bool) {
        let period = self.period(month);
        for index in 0..self.counties.len() {
            let (scheme, committee) = (self.counties[index].own.clone(), self.counties[index].committee.clone());
            let command: Command = match publish {
                true => PublishResults { scheme, period }.into(),
                false => FinalisePeriod { scheme, period }.into(),
            };
            self.world.must(&committee, command);
        }
    }

    /// The office assesses every personal indicator of the year for the month: a tier on a tiered one,
    /// now and then a deduction on the others.
    pub(super) fn personal_assessments(&mut self, month: u8) {
        let period = self.period(month);
        for index in 0..self.counties.len() {
            let code = self.counties[index].code.clone();
            let Some(plan) = self.world.state.personal_plan(&code, self.year) else { continue };
            let indicators: Vec<(IndicatorCode, PersonId, bool, Points)> = plan
                .indicators
                .iter()
                .map(|(indicator, facts)| {
                    let deducted: Points = facts.standing_deductions(period).map(|(_, points)| points).sum();
                    let defined = &facts.defined;
                    (
                        indicator.clone(),
                        defined.person.clone(),
                        defined.method.is_tiered(),
                        defined.points_max - deducted,
                    )
                })
                .collect();
            let office = office(&code);
            for (indicator, person, tiered, left) in indicators {
                if !self.is_active(&person) {
                    continue;
                }
                let outcome = match tiered {
                    true => PersonalOutcome::Tier { tier: [1, 1, 2, 2, 3][self.choices.below(5) as usize] },
                    false if self.choices.percent(30) => {
                        let points = Points([50, 100, 200][self.choices.below(3) as usize]).min(left);
                        if points <= Points::ZERO {
                            continue;
                        }
                        PersonalOutcome::Deduction { points }
                    }
                    false => continue,
                };
                let assessment = AssessPersonalIndicator {
                    unit: code.clone(),
                    indicator,
                    period,
                    outcome,
                    reason: "本月工作目标完成情况".to_owned(),
                };
                self.world.must(&office, assessment);
            }
        }
    }

    /// The quarter's reviews: each chief reviews the members of their section, the leader in charge
    /// everyone.
    pub(super) fn reviews(&mut self, quarter: u8) {
        let quarter = PeriodId::new(self.year, PeriodKind::Quarter, quarter).expect("a quarter");
        for index in 0..self.counties.len() {
            let county = &self.counties[index];
            let (staff, chiefs, sections, leader) =
                (county.staff.clone(), county.chiefs.clone(), county.sections.clone(), county.leader.clone());
            for person in &staff {
                if !self.is_active(person) {
                    continue;
                }
                let section = self.world.state.section_for(person, quarter).cloned();
                let chief = section.as_ref().and_then(|section| sections.iter().position(|unit| unit == section));
                let mut reviewers = vec![leader.clone()];
                if let Some(chief) = chief.filter(|chief| chiefs[*chief] != *person) {
                    reviewers.push(chief_actor(&sections[chief]));
                }
                for reviewer in reviewers {
                    let score = Points(7000 + 10 * self.choices.below(281) as i64);
                    let review = ReviewPerson {
                        person: person.clone(),
                        quarter,
                        score,
                        comment: "工作认真负责，完成本季度任务".to_owned(),
                    };
                    self.world.must(&reviewer, review);
                }
            }
        }
    }

    /// In July one member (not a chief) of each county moves to another of its sections, from today.
    pub(super) fn moves(&mut self) {
        for index in 0..self.counties.len() {
            let county = &self.counties[index];
            let (staff, chiefs, sections) = (county.staff.clone(), county.chiefs.clone(), county.sections.clone());
            let movable: Vec<PersonId> =
                staff.into_iter().filter(|person| self.is_active(person) && !chiefs.contains(person)).collect();
            let Some(person) = movable.get(self.choices.below(movable.len() as u64) as usize).cloned() else {
                continue;
            };
            let from = self.world.state.persons[&person].unit().clone();
            let others: Vec<&UnitCode> = sections.iter().filter(|section| **section != from).collect();
            let to_unit = others[self.choices.below(others.len() as u64) as usize].clone();
            let admin = self.admin.clone();
            self.world.must(&admin, MovePerson { person, to_unit, effective_on: None });
        }
    }

    /// Once December is final: every participant graded (优秀 for the first tier within the quota, now
    /// and then 基本称职 for the last), a praise notice for each 优秀 and for the county's best section of
    /// the year.
    pub(super) fn grades_and_uses(&mut self) {
        self.world.advance_to(self.at(13, 25, 9));
        let year = self.year;
        let year_period = PeriodId::new(year, PeriodKind::Year, 1).expect("a year");
        for index in 0..self.counties.len() {
            let (code, own, committee) = {
                let county = &self.counties[index];
                (county.code.clone(), county.own.clone(), county.committee.clone())
            };
            let today = self.world.today();
            let ranking = self
                .world
                .with_projection(|projection| projection.individual_ranking(&code, year, Counting::Published, today));
            let ranked = u32::try_from(ranking.standings.len()).unwrap_or(u32::MAX);
            let mut excellent = Vec::new();
            let last = ranking.standings.last().map(|line| line.person.clone());
            for line in &ranking.standings {
                let standing = IndividualStanding {
                    annual_score: Some(line.annual_score),
                    rank: Some(line.rank),
                    tier: Some(line.tier),
                    ranked,
                };
                let (grade, reason) = if line.tier == 1 && (excellent.len() as u32) < ranking.excellent_quota {
                    excellent.push(line.person.clone());
                    (AnnualGrade::Excellent, None)
                } else if Some(&line.person) == last.as_ref() && self.choices.percent(50) {
                    (AnnualGrade::BasicallyCompetent, Some("全年多周未填报周工作纪实，领导评鉴偏低".to_owned()))
                } else {
                    (AnnualGrade::Competent, None)
                };
                let command = RecordGrade { unit: code.clone(), person: line.person.clone(), year, grade, reason };
                let basis = CommandBasis { position: None, standing: Some(standing) };
                self.world.must_with_basis(&committee, command, basis);
            }
            for person in &ranking.unranked {
                let standing = IndividualStanding { ranked, ..IndividualStanding::default() };
                let command = RecordGrade {
                    unit: code.clone(),
                    person: person.clone(),
                    year,
                    grade: AnnualGrade::Competent,
                    reason: None,
                };
                self.world.must_with_basis(
                    &committee,
                    command,
                    CommandBasis { position: None, standing: Some(standing) },
                );
            }
            for person in excellent {
                let praise = RecordResultUse {
                    kind: ResultUseKind::PraiseNotice,
                    subject: ResultSubject::Person { person },
                    view: ResultView::IndividualRanking { unit: code.clone(), year },
                    read_at: None,
                    note: format!("{year}年度优秀公务员通报表扬"),
                };
                self.world.must(&committee, praise);
            }
            let group = PeerGroup { scheme: own.clone(), function_code: None };
            let best = self.world.with_projection(|projection| {
                projection
                    .ranking(&group, year_period)
                    .and_then(|ranking| ranking.standings.first().map(|s| s.unit.clone()))
            });
            if let Some(unit) = best {
                let praise = RecordResultUse {
                    kind: ResultUseKind::PraiseNotice,
                    subject: ResultSubject::Unit { unit },
                    view: ResultView::Ranking { scheme: own, period: year_period, function_code: None },
                    read_at: None,
                    note: format!("{year}年度内部考核先进股室"),
                };
                self.world.must(&committee, praise);
            }
        }
    }
}

/// A member's personal indicator: `P-` and their staff number (`C01K01-0203` → `P-0203-01`).
fn personal_code(person: &PersonId) -> IndicatorCode {
    let number = person.as_str().rsplit('-').next().unwrap_or("0");
    indicator(format!("P-{number}-01"))
}

/// A county taken out of the list while the generator works on it.
fn placeholder() -> County {
    let code = UnitCode::new("X").expect("a unit code");
    County {
        own: SchemeId::for_issuer_year(&code, 2000),
        committee: actor("x".to_owned(), Role::Committee, &code),
        leader: actor("x".to_owned(), Role::Leader, &code),
        code,
        sections: Vec::new(),
        issuer: 0,
        assessee: 0,
        locals: Vec::new(),
        staff: Vec::new(),
        chiefs: Vec::new(),
        hired: Vec::new(),
    }
}
