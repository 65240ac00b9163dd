//! Small random histories for property tests: city YS, counties YS01–YS03 with sections A, B, C, a
//! handful of indicators (deduct, tiered, veto, one left unassigned), up to six months, and a random
//! walk over every command — with the rejected ones skipped — so that corrections, withdrawals,
//! attributions anywhere, appeals at both stages, vetoes, bonuses, revisions, retirements,
//! not-applicable marks, reassignments, retired sections and reopened periods all occur.
//!
//! `generate_county` walks the same world with county YS01's own scheme and the staff of YS01 and
//! YS02 as well (`county`): the same choices then give another history, while `generate` gives exactly
//! the histories it always gave.
//!
//! Invariant: whatever the choices, the history is one `domain::decide` accepted step by step.

use kpi_ledger::domain::appeal::{AppealOutcome, AppealStage, AppealTarget};
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::scheme::{RepeatRule, TierRule};
use kpi_ledger::domain::{
    Actor, AppealId, DeductionId, FunctionCode, IndicatorCode, PeriodId, PeriodKind, PersonId, Points, ProblemCategory,
    Role, SchemeId, TierAwardId, Timestamp, UnitCode, UnitLevel,
};

use super::world::{actor, appellant, assign, code, define_indicator, office, tiers, IssuerActors, World};
use super::{Choose, History};

mod county;

const YEAR: i32 = 2017;
const COUNTIES: [&str; 3] = ["YS01", "YS02", "YS03"];
const SECTIONS: [(&str, &str); 3] = [("A", "FA"), ("B", "FB"), ("C", "FC")];
/// Code, points, tiered, veto, lead section suffix (`None`: never assigned).
const INDICATORS: [(&str, i64, bool, bool, Option<&str>); 5] = [
    ("D-01", 200, false, false, Some("A")),
    ("D-02", 300, false, false, Some("B")),
    ("D-03", 100, false, false, None),
    ("T-01", 400, true, false, Some("C")),
    ("V-01", 100, false, true, Some("A")),
];
const CATEGORIES: [&str; 2] = ["quality", "late_submission"];
const MONTHS_MAX: u8 = 6;
/// Each step moves the clock on by up to this many hours, so windows open and close along the way.
const STEP_HOURS_MAX: u64 = 30;

struct Walk<'a, C: Choose> {
    world: World,
    choices: &'a mut C,
    admin: Actor,
    issuer: IssuerActors,
    scheme: SchemeId,
    deductions: Vec<DeductionId>,
    awards: Vec<TierAwardId>,
    appeals: Vec<AppealId>,
    opened: u8,
    /// YS01's own scheme and the staff, when the walk takes them in (`generate_county`).
    county: Option<county::CountyWalk>,
}

/// A walk over the city's scheme alone.
pub fn generate(choices: &mut impl Choose, steps_max: usize) -> History {
    walk(choices, steps_max, false)
}

/// A walk over the city's scheme, YS01's own scheme and the staff of YS01 and YS02.
pub fn generate_county(choices: &mut impl Choose, steps_max: usize) -> History {
    walk(choices, steps_max, true)
}

fn walk(choices: &mut impl Choose, steps_max: usize, with_county: bool) -> History {
    let city = code("YS".to_owned());
    let mut walk = Walk {
        world: World::new(0, Timestamp::from_civil(YEAR, 1, 3, 9, 0, 0).expect("a real date")),
        choices,
        admin: actor("admin.ys".to_owned(), Role::Admin, &city),
        issuer: IssuerActors::of(&city),
        scheme: SchemeId::for_issuer_year(&city, YEAR),
        deductions: Vec::new(),
        awards: Vec::new(),
        appeals: Vec::new(),
        opened: 0,
        county: None,
    };
    walk.setup(&city, with_county);
    for _ in 0..steps_max {
        if walk.choices.exhausted() {
            break;
        }
        walk.step();
    }
    History { events: walk.world.events, state: walk.world.state }
}

fn unit(text: &str) -> UnitCode {
    code(text.to_owned())
}

fn indicator(text: &str) -> IndicatorCode {
    IndicatorCode::new(text).expect("walk indicator codes are well-formed")
}

fn month(index: u8) -> PeriodId {
    PeriodId::month(YEAR, index.clamp(1, 12)).expect("a month")
}

impl<C: Choose> Walk<'_, C> {
    fn pick<'b, T>(&mut self, items: &'b [T]) -> Option<&'b T> {
        (!items.is_empty()).then(|| &items[self.choices.below(items.len() as u64) as usize])
    }

    fn county(&mut self) -> UnitCode {
        unit(COUNTIES[self.choices.below(COUNTIES.len() as u64) as usize])
    }

    fn section_of(&mut self, county: &UnitCode) -> UnitCode {
        let (suffix, _) = SECTIONS[self.choices.below(SECTIONS.len() as u64) as usize];
        unit(&format!("{county}-{suffix}"))
    }

    /// An opened month, or January if none is.
    fn opened_month(&mut self) -> PeriodId {
        month(1 + self.choices.below(u64::from(self.opened.max(1))) as u8)
    }

    fn setup(&mut self, city: &UnitCode, with_county: bool) {
        let admin = self.admin.clone();
        let register = |unit: &UnitCode, level, parent: Option<&UnitCode>, function: Option<&str>| RegisterUnit {
            unit: unit.clone(),
            name: format!("unit {unit}"),
            level,
            parent: parent.cloned(),
            function_code: function.map(|text| FunctionCode::new(text).expect("walk function codes are well-formed")),
        };
        self.world.must(&admin, register(city, UnitLevel::City, None, None));
        for county_text in COUNTIES {
            let county = unit(county_text);
            self.world.must(&admin, register(&county, UnitLevel::County, Some(city), None));
            for (suffix, function) in SECTIONS {
                let section = unit(&format!("{county}-{suffix}"));
                self.world.must(&admin, register(&section, UnitLevel::Section, Some(&county), Some(function)));
            }
            let head = PersonId::new(format!("{county}-0001")).expect("a person id");
            self.world.must(&admin, RegisterPerson { person: head, name: "head".to_owned(), unit: county });
        }
        self.world.must(&admin, scheme_command(city));
        for (code_text, points, tiered, veto, _) in INDICATORS {
            let definition =
                define_indicator(&self.scheme, &indicator(code_text), points, (tiered, veto), Vec::new(), city);
            self.world.must(&admin, definition);
        }
        for county_text in COUNTIES {
            for (code_text, _, _, _, lead) in INDICATORS {
                let Some(lead) = lead else { continue };
                let lead = unit(&format!("{county_text}-{lead}"));
                let command = assign(&self.scheme, &indicator(code_text), &unit(county_text), &lead);
                self.world.must(&office(&unit(county_text)), command);
            }
        }
        if with_county {
            self.setup_county();
        }
        self.open_next_month();
    }

    fn open_next_month(&mut self) {
        if self.opened >= MONTHS_MAX {
            return;
        }
        let admin = self.admin.clone();
        let command = OpenPeriod { scheme: self.scheme.clone(), period: month(self.opened + 1) };
        if self.world.run(&admin, command).is_ok() {
            self.opened += 1;
        }
    }

    fn step(&mut self) {
        let hours = self.choices.below(STEP_HOURS_MAX + 1);
        self.world.advance_micros(i64::try_from(hours).unwrap_or(0) * 3_600_000_000);
        let kinds = if self.county.is_some() { 28 + county::STEP_KINDS } else { 28 };
        match self.choices.below(kinds) {
            0 | 1 => self.open_next_month(),
            2..=5 => self.deduct(false),
            6 => self.deduct(true),
            7 => self.withdraw_deduction(),
            8 | 9 => self.award_tier(),
            10 => self.bonus(),
            11 => self.veto(),
            12 | 13 => self.attribute(),
            14 => self.rectify(),
            15..=17 => self.file_appeal(),
            18..=20 => self.decide_appeal(),
            21 | 22 => self.escalate_or_withdraw_appeal(),
            23 => self.period_lifecycle(),
            24 => self.plan_change(),
            25 => self.indicator_change(),
            26 => self.retire_section(),
            27 => self.world.advance_micros(5 * 86_400_000_000),
            kind => self.county_step(kind - 28),
        }
    }

    fn deduct(&mut self, direct: bool) {
        let county = self.county();
        let (code_text, _, _, _, _) = INDICATORS[self.choices.below(INDICATORS.len() as u64) as usize];
        let target = if direct { self.section_of(&county) } else { county.clone() };
        let command = RecordDeduction {
            scheme: self.scheme.clone(),
            period: self.opened_month(),
            unit: target,
            indicator: indicator(code_text),
            points: Points(25 * (1 + self.choices.below(8) as i64)),
            reason: "found wanting".to_owned(),
            problem_category: ProblemCategory::new(CATEGORIES[self.choices.below(2) as usize]).expect("a category"),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let actor = if direct { office(&county) } else { self.issuer.assessor.clone() };
        if let Ok(id) = self.world.run(&actor, command) {
            self.deductions.push(DeductionId(id));
        }
    }

    fn withdraw_deduction(&mut self) {
        let Some(id) = self.pick(&self.deductions.clone()).copied() else { return };
        let Some(record) = self.world.state.deductions.get(&id) else { return };
        let on_section = record.recorded.unit.as_str().contains('-');
        let actor = if on_section {
            let county = self.world.state.units[&record.recorded.unit].parent.clone().expect("a section has a county");
            office(&county)
        } else {
            self.issuer.assessor.clone()
        };
        let _ = self.world.run(&actor, WithdrawDeduction { deduction_id: id, reason: "recorded in error".to_owned() });
    }

    fn award_tier(&mut self) {
        let command = AwardTier {
            scheme: self.scheme.clone(),
            period: self.opened_month(),
            unit: self.county(),
            indicator: indicator("T-01"),
            tier: 1 + self.choices.below(4) as u32,
            reason: "graded".to_owned(),
        };
        let assessor = self.issuer.assessor.clone();
        if let Ok(id) = self.world.run(&assessor, command) {
            self.awards.push(TierAwardId(id));
        }
    }

    fn bonus(&mut self) {
        let command = AwardBonus {
            scheme: self.scheme.clone(),
            period: self.opened_month(),
            unit: self.county(),
            points: Points(50 * (1 + self.choices.below(6) as i64)),
            reason: "key work".to_owned(),
        };
        let assessor = self.issuer.assessor.clone();
        let _ = self.world.run(&assessor, command);
    }

    fn veto(&mut self) {
        let command = ApplyVeto {
            scheme: self.scheme.clone(),
            period: self.opened_month(),
            unit: self.county(),
            indicator: indicator("V-01"),
            reason: "integrity breach".to_owned(),
        };
        let assessor = self.issuer.assessor.clone();
        let _ = self.world.run(&assessor, command);
    }

    /// The cause may be a section of the deducted county, another county's section, or a county.
    fn attribute(&mut self) {
        let Some(id) = self.pick(&self.deductions.clone()).copied() else { return };
        let Some(record) = self.world.state.deductions.get(&id) else { return };
        let deducted = record.recorded.unit.clone();
        let county = self.world.state.units[&deducted]
            .parent
            .clone()
            .filter(|_| deducted.as_str().contains('-'))
            .unwrap_or(deducted);
        let cause_unit = match self.choices.below(4) {
            0 => self.county(),
            1 => {
                let other = self.county();
                self.section_of(&other)
            }
            _ => self.section_of(&county),
        };
        let command = AttributeCause {
            deduction_id: id,
            cause_unit,
            description: "cause found".to_owned(),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let _ = self.world.run(&office(&county), command);
    }

    fn rectify(&mut self) {
        let Some(id) = self.pick(&self.deductions.clone()).copied() else { return };
        let Some(record) = self.world.state.deductions.get(&id) else { return };
        let deducted = record.recorded.unit.clone();
        let county = self.world.state.units[&deducted]
            .parent
            .clone()
            .filter(|_| deducted.as_str().contains('-'))
            .unwrap_or(deducted);
        let command = RecordRectification {
            deduction_id: id,
            description: "fixed".to_owned(),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let _ = self.world.run(&office(&county), command);
    }

    /// Files against a deduction or a tier award, usually as the assessed county, sometimes as one of
    /// its sections (accepted only for the section a deduction is charged to); now and then against
    /// a deduction's latest cause attribution, as the section it names.
    fn file_appeal(&mut self) {
        if self.choices.percent(15) {
            return self.file_attribution_appeal();
        }
        let (target, unit) = if self.choices.percent(70) {
            let Some(id) = self.pick(&self.deductions.clone()).copied() else { return };
            let Some(record) = self.world.state.deductions.get(&id) else { return };
            (AppealTarget::Deduction { deduction_id: id }, record.recorded.unit.clone())
        } else {
            let Some(id) = self.pick(&self.awards.clone()).copied() else { return };
            let Some(record) = self.world.state.tier_awards.get(&id) else { return };
            (AppealTarget::TierAward { tier_award_id: id }, record.awarded.unit.clone())
        };
        let county =
            self.world.state.units[&unit].parent.clone().filter(|_| unit.as_str().contains('-')).unwrap_or(unit);
        let appellant = if self.choices.percent(20) {
            let section = self.section_of(&county);
            actor(format!("appellant.{section}"), Role::Appellant, &section)
        } else {
            appellant(&county)
        };
        let filing = FileAppeal { target, grounds: "disputed".to_owned(), evidence_digests: Vec::new() };
        if let Ok(id) = self.world.run(&appellant, filing) {
            self.appeals.push(AppealId(id));
        }
    }

    /// Files against the latest cause attribution of a deduction, as the unit it names.
    fn file_attribution_appeal(&mut self) {
        let Some(id) = self.pick(&self.deductions.clone()).copied() else { return };
        let Some(record) = self.world.state.deductions.get(&id) else { return };
        let Some(attribution) = record.attributions.last() else { return };
        let target =
            AppealTarget::CauseAttribution { deduction_id: id, attribution_event_id: attribution.event.event_id };
        let section = attribution.cause_unit.clone();
        let appellant = actor(format!("appellant.{section}"), Role::Appellant, &section);
        let filing = FileAppeal { target, grounds: "not our doing".to_owned(), evidence_digests: Vec::new() };
        if let Ok(id) = self.world.run(&appellant, filing) {
            self.appeals.push(AppealId(id));
        }
    }

    /// Decides an appeal waiting for one, by the decider its stage needs (now and then the wrong one).
    fn decide_appeal(&mut self) {
        let waiting: Vec<AppealId> = self
            .appeals
            .iter()
            .filter(|id| self.world.state.appeals.get(*id).is_some_and(|a| a.awaiting_decision))
            .copied()
            .collect();
        let Some(id) = self.pick(&waiting).copied() else { return };
        let appeal = &self.world.state.appeals[&id];
        let contested = appeal.filed.points_contested.hundredths();
        let escalated = appeal.stage == AppealStage::Escalated;
        let outcome = match self.choices.below(3) {
            0 => AppealOutcome::Upheld,
            1 if contested >= 2 => {
                AppealOutcome::Partial { points_restored: Points(1 + self.choices.below(contested as u64 - 1) as i64) }
            }
            _ => AppealOutcome::Dismissed,
        };
        let right_decider = match (appeal.filed.target.is_cause_attribution(), escalated) {
            (true, _) => {
                let county = appeal.filed.unit.clone();
                actor(format!("committee.{county}"), Role::Committee, &county)
            }
            (false, true) => self.issuer.committee.clone(),
            (false, false) => self.issuer.reviewer.clone(),
        };
        let decider = if self.choices.percent(90) { right_decider } else { self.issuer.assessor.clone() };
        let decision =
            DecideAppeal { appeal_id: id, outcome, reasoning: "decided".to_owned(), evidence_digests: Vec::new() };
        let _ = self.world.run(&decider, decision);
    }

    /// Escalates a decided appeal, or withdraws one.
    fn escalate_or_withdraw_appeal(&mut self) {
        let decided: Vec<AppealId> = self
            .appeals
            .iter()
            .filter(|id| {
                self.world
                    .state
                    .appeals
                    .get(*id)
                    .is_some_and(|a| a.last_verdict().is_some() && a.stage == AppealStage::First)
            })
            .copied()
            .collect();
        let escalate = self.choices.percent(60);
        let candidates = if escalate && !decided.is_empty() { decided } else { self.appeals.clone() };
        let Some(id) = self.pick(&candidates).copied() else { return };
        let Some(appeal) = self.world.state.appeals.get(&id) else { return };
        let appellant = appellant(&appeal.filed.unit);
        let _ = if escalate {
            let escalation =
                EscalateAppeal { appeal_id: id, grounds: "wrong review".to_owned(), evidence_digests: Vec::new() };
            self.world.run(&appellant, escalation)
        } else {
            self.world.run(&appellant, WithdrawAppeal { appeal_id: id, reason: "settled".to_owned() })
        };
    }

    fn period_lifecycle(&mut self) {
        let period = self.opened_month();
        let scheme = self.scheme.clone();
        let committee = self.issuer.committee.clone();
        let command: Command = match self.choices.below(3) {
            0 => PublishResults { scheme, period }.into(),
            1 => FinalisePeriod { scheme, period }.into(),
            _ => ReopenPeriod { scheme, period, reason: "error found".to_owned() }.into(),
        };
        let _ = self.world.run(&committee, command);
    }

    /// Drops an indicator for a county from some month, or hands it to another section.
    fn plan_change(&mut self) {
        let county = self.county();
        let (code_text, _, _, _, _) = INDICATORS[self.choices.below(INDICATORS.len() as u64) as usize];
        let effective_from = Some(month(1 + self.choices.below(u64::from(MONTHS_MAX)) as u8));
        let command: Command = if self.choices.percent(50) {
            MarkIndicatorNotApplicable {
                scheme: self.scheme.clone(),
                indicator: indicator(code_text),
                unit: county.clone(),
                effective_from,
                reason: "does not apply".to_owned(),
                approver: PersonId::new(format!("{county}-0001")).expect("a person id"),
            }
            .into()
        } else {
            let lead = self.section_of(&county);
            AssignIndicator { effective_from, ..assign(&self.scheme, &indicator(code_text), &county, &lead) }.into()
        };
        let _ = self.world.run(&office(&county), command);
    }

    /// Revises points (or tiers) from some month, or retires an indicator.
    fn indicator_change(&mut self) {
        let (code_text, _, tiered, _, _) = INDICATORS[self.choices.below(INDICATORS.len() as u64) as usize];
        let effective_from = month(1 + self.choices.below(u64::from(MONTHS_MAX)) as u8);
        let admin = self.admin.clone();
        let command: Command = if self.choices.percent(80) {
            let tiers = (tiered && self.choices.percent(50)).then(|| tiers(&[1000, 700, 0]));
            let points_max = tiers.is_none().then(|| Points(100 * (1 + self.choices.below(4) as i64)));
            ReviseIndicator {
                scheme: self.scheme.clone(),
                indicator: indicator(code_text),
                effective_from,
                name: None,
                description: None,
                points_max,
                tiers,
                reason: "re-weighted".to_owned(),
            }
            .into()
        } else {
            RetireIndicator {
                scheme: self.scheme.clone(),
                indicator: indicator(code_text),
                effective_from,
                reason: "merged".to_owned(),
            }
            .into()
        };
        let _ = self.world.run(&admin, command);
    }

    /// Rarely: retiring a section changes its peer group mid-history.
    fn retire_section(&mut self) {
        if !self.choices.percent(20) {
            return;
        }
        let county = self.county();
        let section = self.section_of(&county);
        let admin = self.admin.clone();
        let _ = self.world.run(&admin, RetireUnit { unit: section, reason: "merged".to_owned() });
    }
}

fn scheme_command(city: &UnitCode) -> OpenScheme {
    OpenScheme {
        issuer: city.clone(),
        year: YEAR,
        base_period: PeriodKind::Month,
        unit_tier_rule: Some(TierRule::Counts { counts: vec![1, 1, 1] }),
        section_tier_rule: TierRule::SharesPercent { shares_percent: vec![30, 50, 20] },
        section_tier_rules: [(
            FunctionCode::new("FB").expect("a function code"),
            TierRule::Thresholds { thresholds: vec![Points(9500), Points(9000)] },
        )]
        .into_iter()
        .collect(),
        objection_window_days: 4,
        escalation_window_days: 10,
        decision_window_days: 3,
        bonus_cap: Points(200),
        repeat_rule: RepeatRule { consecutive_periods: 2, periods_in_window: 3, window_periods: 4 },
    }
}
