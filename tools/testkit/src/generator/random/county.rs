//! The county's part of a random walk (`random::generate_county`): YS01's own scheme of 2017 — local
//! indicators (by deduction, tiered, a veto one) assigned to its sections, the city's D-01, D-02 and T-01
//! taken over at points of its own (some scaled so that rounding half-up matters), local deductions,
//! tier awards, bonuses and vetoes on its sections, appeals decided by its reviewer and committee, its
//! months published, finalised and reopened by its committee, its plan and take-overs changed, and
//! city deductions on taken-over indicators charged onto its sections (scaled charges) — and the staff
//! of YS01 and YS02 (YS02 has no scheme of its own): personal rules and indicators, assessments,
//! weekly records and comments, leaders' reviews, moves, annual grades, uses of results, retirements
//! and erasures.
//!
//! Invariant: every command goes through `domain::decide` (`World::run`) like the city's: one the rules
//! refuse is skipped, so the walk is one the real system could have recorded, whatever the choices.

use kpi_ledger::domain::appeal::{AppealOutcome, AppealStage, AppealTarget};
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::date::IsoWeek;
use kpi_ledger::domain::person::{
    AnnualGrade, ChainPosition, IndicatorRef, PartWeights, PersonalOutcome, ResultSubject, ResultUseKind, ResultView,
};
use kpi_ledger::domain::scheme::{IndicatorMethod, RepeatRule, TierRule};
use kpi_ledger::domain::{
    Actor, AppealId, DeductionId, PeriodId, PeriodKind, PersonId, Points, ProblemCategory, Role, SchemeId, TierAwardId,
    TokenHash, UnitCode,
};

use super::{actor, indicator, month, office, tiers, unit, Choose, Walk, CATEGORIES, MONTHS_MAX, YEAR};

/// How many kinds of step the county adds to the walk's.
pub(super) const STEP_KINDS: u64 = 24;

const COUNTY: &str = "YS01";
/// Code, points, tiered, veto, lead section suffix.
const LOCAL: [(&str, i64, bool, bool, &str); 3] =
    [("YS01-A-01", 100, false, false, "A"), ("YS01-B-01", 200, true, false, "B"), ("YS01-C-01", 150, false, true, "C")];
/// A city indicator YS01 takes over and the points it may be worth here (the city gives D-01 2.00,
/// D-02 3.00 and T-01 4.00).
const TAKEN_OVER: [(&str, [i64; 3]); 3] =
    [("D-01", [300, 333, 150]), ("D-02", [450, 100, 500]), ("T-01", [600, 250, 300])];
/// Staff code and the section they are registered in.
const STAFF: [(&str, &str); 6] = [
    ("YS01-0101", "YS01-A"),
    ("YS01-0102", "YS01-A"),
    ("YS01-0201", "YS01-B"),
    ("YS01-0301", "YS01-C"),
    ("YS02-0101", "YS02-A"),
    ("YS02-0201", "YS02-C"),
];
/// A personal indicator: county, code, person, points, tiered.
const PERSONAL: [(&str, &str, &str, i64, bool); 3] = [
    ("YS01", "P-0102-01", "YS01-0102", 1000, false),
    ("YS01", "P-0201-01", "YS01-0201", 400, true),
    ("YS02", "P-0101-01", "YS02-0101", 500, false),
];

/// What the walk keeps of the county's part: its scheme, its actors and the facts it made.
pub(super) struct CountyWalk {
    own: SchemeId,
    office: Actor,
    assessor: Actor,
    reviewer: Actor,
    committee: Actor,
    appellant: Actor,
    deductions: Vec<DeductionId>,
    awards: Vec<TierAwardId>,
    appeals: Vec<AppealId>,
}

fn person(text: &str) -> PersonId {
    PersonId::new(text).expect("walk staff codes are well-formed")
}

fn county_of(staff: &str) -> UnitCode {
    unit(&staff[..4])
}

fn person_actor(staff: &str) -> Actor {
    actor(format!("person.{}", staff.to_lowercase()), Role::Person, &county_of(staff))
}

/// The section chief of A in YS01 (bound to YS01-0101), YS01's leader in charge, and YS02's.
fn leaders() -> [Actor; 3] {
    [
        actor("leader.ys01-a".to_owned(), Role::Leader, &unit("YS01-A")),
        actor("leader.ys01".to_owned(), Role::Leader, &unit("YS01")),
        actor("leader.ys02".to_owned(), Role::Leader, &unit("YS02")),
    ]
}

fn committee(county: &UnitCode) -> Actor {
    actor(format!("committee.{}", county.as_str().to_lowercase()), Role::Committee, county)
}

fn token(index: u64) -> TokenHash {
    TokenHash::new(format!("{:064x}", 0x0c0_0000 + index)).expect("64 hex digits")
}

impl<C: Choose> Walk<'_, C> {
    /// YS01's own scheme (its indicators local and taken over, assigned), the staff, their tokens, the
    /// counties' personal rules and indicators.
    pub(super) fn setup_county(&mut self) {
        let county = unit(COUNTY);
        let own = SchemeId::for_issuer_year(&county, YEAR);
        let admin = self.admin.clone();
        let bonus_cap = Points([100, 200, 300][self.choices.below(3) as usize]);
        let rule = match self.choices.below(3) {
            0 => None,
            1 => Some(TierRule::Counts { counts: vec![1, 1] }),
            _ => Some(TierRule::Thresholds { thresholds: vec![Points(9500), Points(8000)] }),
        };
        self.world.must(
            &admin,
            OpenScheme {
                issuer: county.clone(),
                year: YEAR,
                base_period: PeriodKind::Month,
                unit_tier_rule: rule,
                section_tier_rule: TierRule::SharesPercent { shares_percent: vec![30, 50, 20] },
                section_tier_rules: Default::default(),
                objection_window_days: 3,
                escalation_window_days: 5,
                decision_window_days: 4,
                bonus_cap,
                repeat_rule: RepeatRule { consecutive_periods: 2, periods_in_window: 3, window_periods: 4 },
            },
        );
        let office = office(&county);
        for (code_text, points, tiered, veto, lead) in LOCAL {
            let method = if tiered {
                IndicatorMethod::Tiered { tiers: tiers(&[1000, 800, 500, 0]) }
            } else {
                IndicatorMethod::Deduct
            };
            let definition = DefineIndicator {
                scheme: own.clone(),
                indicator: indicator(code_text),
                name: format!("local {code_text}"),
                description: String::new(),
                points_max: Points(points),
                method,
                veto,
                problem_categories: Vec::new(),
                assessor: county.clone(),
                effective_from: None,
            };
            self.world.must(&admin, definition);
            let assignment = AssignIndicator {
                scheme: own.clone(),
                indicator: indicator(code_text),
                unit: county.clone(),
                lead_section: unit(&format!("{COUNTY}-{lead}")),
                supporting_sections: Vec::new(),
                responsible_person: None,
                effective_from: None,
            };
            self.world.must(&office, assignment);
        }
        for (code_text, points) in TAKEN_OVER {
            let later = code_text == "D-02" && self.choices.percent(50);
            let take_over = TakeOverIndicator {
                scheme: own.clone(),
                indicator: indicator(code_text),
                city_scheme: self.scheme.clone(),
                points_max: Points(points[self.choices.below(3) as usize]),
                effective_from: later.then(|| month(2 + self.choices.below(2) as u8)),
            };
            self.world.must(&admin, take_over);
        }
        self.setup_staff();
        self.county = Some(CountyWalk {
            own,
            office,
            assessor: actor(format!("assessor.{}", COUNTY.to_lowercase()), Role::Assessor, &county),
            reviewer: actor(format!("reviewer.{}", COUNTY.to_lowercase()), Role::Reviewer, &county),
            committee: committee(&county),
            appellant: actor(format!("appellant.{}", COUNTY.to_lowercase()), Role::Appellant, &county),
            deductions: Vec::new(),
            awards: Vec::new(),
            appeals: Vec::new(),
        });
    }

    fn setup_staff(&mut self) {
        let admin = self.admin.clone();
        for (index, (staff, section)) in STAFF.iter().enumerate() {
            let registration =
                RegisterPerson { person: person(staff), name: format!("staff member {staff}"), unit: unit(section) };
            self.world.must(&admin, registration);
            let grant = GrantAccess {
                token_hash: token(index as u64),
                actor_id: person_actor(staff).id,
                role: Role::Person,
                unit: county_of(staff),
                note: String::new(),
                valid_days: Some(366),
                person: Some(person(staff)),
            };
            self.world.must(&admin, grant);
        }
        let chief = GrantAccess {
            token_hash: token(100),
            actor_id: "leader.ys01-a".to_owned(),
            role: Role::Leader,
            unit: unit("YS01-A"),
            note: "section chief".to_owned(),
            valid_days: Some(366),
            person: Some(person("YS01-0101")),
        };
        self.world.must(&admin, chief);
        for county_text in ["YS01", "YS02"] {
            let county = unit(county_text);
            let weights = [
                PartWeights::default(),
                PartWeights { section: 20, review: 40, indicators: 40 },
                PartWeights { section: 100, review: 0, indicators: 0 },
            ][self.choices.below(3) as usize];
            let rules = SetPersonalRules {
                unit: county.clone(),
                year: YEAR,
                weights,
                tier_shares_percent: if self.choices.percent(50) { vec![30, 50, 20] } else { vec![50, 50] },
                excellent_quota_percent: [20, 50][self.choices.below(2) as usize],
                missing_week_deduction: Points([0, 20, 50][self.choices.below(3) as usize]),
            };
            self.world.must(&committee(&county), rules);
        }
        for (county_text, code_text, staff, points, tiered) in PERSONAL {
            let method = if tiered {
                IndicatorMethod::Tiered { tiers: tiers(&[1000, 700, 0]) }
            } else {
                IndicatorMethod::Deduct
            };
            let definition = DefinePersonalIndicator {
                unit: unit(county_text),
                year: YEAR,
                indicator: indicator(code_text),
                person: person(staff),
                name: format!("personal {code_text}"),
                description: String::new(),
                points_max: Points(points),
                method,
                effective_from: None,
            };
            self.world.must(&office(&unit(county_text)), definition);
        }
    }

    pub(super) fn county_step(&mut self, kind: u64) {
        match kind {
            0 | 1 => self.own_deduct(),
            2 => self.own_withdraw(),
            3 | 4 => self.own_award_tier(),
            5 => self.own_bonus(),
            6 => self.own_veto(),
            7 => self.own_period_lifecycle(),
            8 => self.close_month(),
            9 => self.own_plan_change(),
            10 => self.take_over_change(),
            11 => self.own_file_appeal(),
            12 => self.own_decide_or_escalate_appeal(),
            13 | 14 => self.city_charge(),
            15 | 16 => self.weekly_record(),
            17 => self.comment(),
            18 => self.review(),
            19 => self.assess_personal(),
            20 => self.move_person(),
            21 => self.grade(),
            22 => self.result_use(),
            _ => self.erase_or_retire(),
        }
    }

    fn own(&self) -> &CountyWalk {
        self.county.as_ref().expect("the county's part was set up")
    }

    fn own_section(&mut self) -> UnitCode {
        let county = unit(COUNTY);
        self.section_of(&county)
    }

    /// The office (mostly) or the county's own assessor.
    fn own_recorder(&mut self) -> Actor {
        if self.choices.percent(70) {
            self.own().office.clone()
        } else {
            self.own().assessor.clone()
        }
    }

    /// The section that leads a local indicator in a month (now and then another, refused).
    fn lead_or_other(&mut self, code_text: &str, period: PeriodId) -> UnitCode {
        let scheme = self.world.state.schemes.get(&self.own().own);
        let lead = scheme.and_then(|scheme| scheme.lead_section(&unit(COUNTY), &indicator(code_text), period)).cloned();
        match lead {
            Some(lead) if self.choices.percent(85) => lead,
            _ => self.own_section(),
        }
    }

    fn own_deduct(&mut self) {
        let (code_text, ..) = LOCAL[[0, 2][self.choices.below(2) as usize]];
        let period = self.opened_month();
        let command = RecordDeduction {
            scheme: self.own().own.clone(),
            period,
            unit: self.lead_or_other(code_text, period),
            indicator: indicator(code_text),
            points: Points(10 * (1 + self.choices.below(8) as i64)),
            reason: "found wanting by the county".to_owned(),
            problem_category: ProblemCategory::new(CATEGORIES[self.choices.below(2) as usize]).expect("a category"),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let recorder = self.own_recorder();
        if let Ok(id) = self.world.run(&recorder, command) {
            self.county.as_mut().expect("set up").deductions.push(DeductionId(id));
        }
    }

    fn own_withdraw(&mut self) {
        let Some(id) = self.pick(&self.own().deductions.clone()).copied() else { return };
        let recorder = self.own_recorder();
        let _ =
            self.world.run(&recorder, WithdrawDeduction { deduction_id: id, reason: "recorded in error".to_owned() });
    }

    fn own_award_tier(&mut self) {
        let period = self.opened_month();
        let command = AwardTier {
            scheme: self.own().own.clone(),
            period,
            unit: self.lead_or_other(LOCAL[1].0, period),
            indicator: indicator(LOCAL[1].0),
            tier: 1 + self.choices.below(4) as u32,
            reason: "graded by the county".to_owned(),
        };
        let recorder = self.own_recorder();
        if let Ok(id) = self.world.run(&recorder, command) {
            self.county.as_mut().expect("set up").awards.push(TierAwardId(id));
        }
    }

    /// To a section, and now and then (refused) to the county itself.
    fn own_bonus(&mut self) {
        let target = if self.choices.percent(90) { self.own_section() } else { unit(COUNTY) };
        let command = AwardBonus {
            scheme: self.own().own.clone(),
            period: self.opened_month(),
            unit: target,
            points: Points(25 * (1 + self.choices.below(8) as i64)),
            reason: "praised by the county".to_owned(),
        };
        let recorder = self.own_recorder();
        let _ = self.world.run(&recorder, command);
    }

    fn own_veto(&mut self) {
        if !self.choices.percent(40) {
            return;
        }
        let period = self.opened_month();
        let command = ApplyVeto {
            scheme: self.own().own.clone(),
            period,
            unit: self.lead_or_other(LOCAL[2].0, period),
            indicator: indicator(LOCAL[2].0),
            reason: "an integrity case".to_owned(),
        };
        let recorder = self.own_recorder();
        let _ = self.world.run(&recorder, command);
    }

    fn own_period_lifecycle(&mut self) {
        let period = self.opened_month();
        let scheme = self.own().own.clone();
        let committee = self.own().committee.clone();
        let command: Command = match self.choices.below(4) {
            0 | 1 => PublishResults { scheme, period }.into(),
            2 => FinalisePeriod { scheme, period }.into(),
            _ => ReopenPeriod { scheme, period, reason: "a finding corrected".to_owned() }.into(),
        };
        let _ = self.world.run(&committee, command);
    }

    /// Closes a month in both schemes as far as the rules let it: the tier awards still missing (the
    /// city's T-01 for each county, YS01's own to the lead of its tiered indicator), then the city's
    /// committee publishes it, and YS01's.
    fn close_month(&mut self) {
        let period = self.opened_month();
        let city = self.scheme.clone();
        let own = self.own().own.clone();
        let awarded = |state: &kpi_ledger::domain::Facts, scheme: &SchemeId, unit: &UnitCode, code: &str| {
            let assessment = state.schemes.get(scheme).and_then(|scheme| scheme.assessment(period, unit));
            assessment.is_some_and(|assessment| assessment.tier_awards.contains_key(&indicator(code)))
        };
        for county_text in super::COUNTIES {
            let county = unit(county_text);
            if !awarded(&self.world.state, &city, &county, "T-01") {
                let tier = 1 + self.choices.below(4) as u32;
                let award = AwardTier {
                    scheme: city.clone(),
                    period,
                    unit: county,
                    indicator: indicator("T-01"),
                    tier,
                    reason: "graded".to_owned(),
                };
                let assessor = self.issuer.assessor.clone();
                if let Ok(id) = self.world.run(&assessor, award) {
                    self.awards.push(TierAwardId(id));
                }
            }
        }
        let lead = self.lead_or_other(LOCAL[1].0, period);
        if !awarded(&self.world.state, &own, &lead, LOCAL[1].0) {
            let tier = 1 + self.choices.below(4) as u32;
            let award = AwardTier {
                scheme: own.clone(),
                period,
                unit: lead,
                indicator: indicator(LOCAL[1].0),
                tier,
                reason: "graded by the county".to_owned(),
            };
            let recorder = self.own_recorder();
            if let Ok(id) = self.world.run(&recorder, award) {
                self.county.as_mut().expect("set up").awards.push(TierAwardId(id));
            }
        }
        let committee = self.issuer.committee.clone();
        let _ = self.world.run(&committee, PublishResults { scheme: city, period });
        let committee = self.own().committee.clone();
        let _ = self.world.run(&committee, PublishResults { scheme: own, period });
    }

    /// Hands a local indicator to another section from some month, or drops it for the county.
    fn own_plan_change(&mut self) {
        let (code_text, ..) = LOCAL[self.choices.below(LOCAL.len() as u64) as usize];
        let effective_from = Some(month(1 + self.choices.below(u64::from(MONTHS_MAX)) as u8));
        let county = unit(COUNTY);
        let command: Command = if self.choices.percent(70) {
            // Now and then handed to one of the county's staff, or taken from whoever carried it.
            let responsible_person = self.choices.percent(60).then(|| person(self.county_staff_member()));
            AssignIndicator {
                scheme: self.own().own.clone(),
                indicator: indicator(code_text),
                unit: county.clone(),
                lead_section: self.own_section(),
                supporting_sections: Vec::new(),
                responsible_person,
                effective_from,
            }
            .into()
        } else {
            MarkIndicatorNotApplicable {
                scheme: self.own().own.clone(),
                indicator: indicator(code_text),
                unit: county.clone(),
                effective_from,
                reason: "not this year".to_owned(),
                approver: PersonId::new(format!("{county}-0001")).expect("a person id"),
            }
            .into()
        };
        let office = self.own().office.clone();
        let _ = self.world.run(&office, command);
    }

    /// Revises a taken-over indicator's points here from some month (or, refused, its name), or retires it here.
    fn take_over_change(&mut self) {
        let (code_text, points) = TAKEN_OVER[self.choices.below(TAKEN_OVER.len() as u64) as usize];
        let effective_from = month(1 + self.choices.below(u64::from(MONTHS_MAX)) as u8);
        let scheme = self.own().own.clone();
        let command: Command = match self.choices.below(10) {
            0 => RetireIndicator { scheme, indicator: indicator(code_text), effective_from, reason: "done".to_owned() }
                .into(),
            kind => ReviseIndicator {
                scheme,
                indicator: indicator(code_text),
                effective_from,
                name: (kind == 1).then(|| "renamed".to_owned()),
                description: None,
                points_max: Some(Points(points[self.choices.below(3) as usize])),
                tiers: None,
                reason: "re-weighted by the county".to_owned(),
            }
            .into(),
        };
        let admin = self.admin.clone();
        let _ = self.world.run(&admin, command);
    }

    /// A section (or the county for it) appeals a county deduction or tier award.
    fn own_file_appeal(&mut self) {
        let (target, unit) = if self.choices.percent(70) {
            let Some(id) = self.pick(&self.own().deductions.clone()).copied() else { return };
            let Some(record) = self.world.state.deductions.get(&id) else { return };
            (AppealTarget::Deduction { deduction_id: id }, record.recorded.unit.clone())
        } else {
            let Some(id) = self.pick(&self.own().awards.clone()).copied() else { return };
            let Some(record) = self.world.state.tier_awards.get(&id) else { return };
            (AppealTarget::TierAward { tier_award_id: id }, record.awarded.unit.clone())
        };
        let appellant = if self.choices.percent(50) {
            actor(format!("appellant.{unit}"), Role::Appellant, &unit)
        } else {
            self.own().appellant.clone()
        };
        let filing = FileAppeal { target, grounds: "the county got it wrong".to_owned(), evidence_digests: Vec::new() };
        if let Ok(id) = self.world.run(&appellant, filing) {
            self.county.as_mut().expect("set up").appeals.push(AppealId(id));
        }
    }

    /// Decides a county appeal waiting for one (the reviewer first, the committee escalated), or escalates one.
    fn own_decide_or_escalate_appeal(&mut self) {
        let Some(id) = self.pick(&self.own().appeals.clone()).copied() else { return };
        let Some(appeal) = self.world.state.appeals.get(&id) else { return };
        let contested = appeal.filed.points_contested.hundredths();
        if !appeal.awaiting_decision {
            let escalation = EscalateAppeal {
                appeal_id: id,
                grounds: "the review was wrong".to_owned(),
                evidence_digests: Vec::new(),
            };
            let appellant = self.own().appellant.clone();
            let _ = self.world.run(&appellant, escalation);
            return;
        }
        let decider = match appeal.stage {
            AppealStage::Escalated => self.own().committee.clone(),
            _ => self.own().reviewer.clone(),
        };
        let outcome = match self.choices.below(3) {
            0 => AppealOutcome::Upheld,
            1 if contested >= 2 => {
                AppealOutcome::Partial { points_restored: Points(1 + self.choices.below(contested as u64 - 1) as i64) }
            }
            _ => AppealOutcome::Dismissed,
        };
        let decision =
            DecideAppeal { appeal_id: id, outcome, reasoning: "decided".to_owned(), evidence_digests: Vec::new() };
        let _ = self.world.run(&decider, decision);
    }

    /// The city deducts from YS01 on an indicator YS01 took over, and YS01's office attributes the cause to
    /// one of its sections: a charge the county's scheme scales.
    fn city_charge(&mut self) {
        let code_text = ["D-01", "D-02"][self.choices.below(2) as usize];
        let county = unit(COUNTY);
        let command = RecordDeduction {
            scheme: self.scheme.clone(),
            period: self.opened_month(),
            unit: county.clone(),
            indicator: indicator(code_text),
            points: Points(5 * (1 + self.choices.below(20) as i64)),
            reason: "found wanting by the city".to_owned(),
            problem_category: ProblemCategory::new(CATEGORIES[self.choices.below(2) as usize]).expect("a category"),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let assessor = self.issuer.assessor.clone();
        let Ok(id) = self.world.run(&assessor, command) else { return };
        self.deductions.push(DeductionId(id));
        let attribution = AttributeCause {
            deduction_id: DeductionId(id),
            cause_unit: self.own_section(),
            description: "the cause lies with this section".to_owned(),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        let _ = self.world.run(&office(&county), attribution);
    }

    fn staff_member(&mut self) -> &'static str {
        STAFF[self.choices.below(STAFF.len() as u64) as usize].0
    }

    /// One of the staff of the county whose scheme the walk keeps.
    fn county_staff_member(&mut self) -> &'static str {
        let staff: Vec<&'static str> =
            STAFF.iter().map(|(code, _)| *code).filter(|code| code.starts_with(COUNTY)).collect();
        staff[self.choices.below(staff.len() as u64) as usize]
    }

    /// A week of the year up to the current one (now and then one not begun, refused), naming an
    /// indicator the person carries now and then.
    fn weekly_record(&mut self) {
        let staff = self.staff_member();
        let current = self.world.today().iso_week();
        let weeks = if current.year() == YEAR { u64::from(current.week()) + 1 } else { 1 };
        let Some(week) = IsoWeek::new(YEAR, 1 + self.choices.below(weeks) as u8) else { return };
        let mut indicators = Vec::new();
        if self.choices.percent(30) {
            if let Some((_, code_text, ..)) = PERSONAL.iter().find(|(_, _, owner, ..)| *owner == staff) {
                indicators.push(IndicatorRef::Personal { indicator: indicator(code_text) });
            }
        }
        let record = FileWeeklyRecord { person: person(staff), week, text: format!("the work of {week}"), indicators };
        let _ = self.world.run(&person_actor(staff), record);
    }

    fn comment(&mut self) {
        let staff = person(self.staff_member());
        let Some(weeks) = self.world.state.people.weekly_records.get(&staff) else { return };
        let weeks: Vec<IsoWeek> = weeks.keys().copied().collect();
        let Some(week) = self.pick(&weeks).copied() else { return };
        let leader = self.pick(&leaders()).cloned().expect("three leaders");
        let comment = CommentWeeklyRecord { person: staff, week, comment: "noted".to_owned() };
        let _ = self.world.run(&leader, comment);
    }

    fn review(&mut self) {
        let staff = person(self.staff_member());
        let leader = self.pick(&leaders()).cloned().expect("three leaders");
        let quarter = PeriodId::new(YEAR, PeriodKind::Quarter, 1 + self.choices.below(2) as u8).expect("a quarter");
        let review = ReviewPerson {
            person: staff,
            quarter,
            score: Points(6000 + 50 * self.choices.below(81) as i64),
            comment: "reviewed".to_owned(),
        };
        let _ = self.world.run(&leader, review);
    }

    /// A deduction or tier on a personal indicator, or the withdrawal of a standing deduction.
    fn assess_personal(&mut self) {
        let (county_text, code_text, _, _, tiered) = PERSONAL[self.choices.below(PERSONAL.len() as u64) as usize];
        let county = unit(county_text);
        let period = self.opened_month();
        let standing: Vec<_> = self
            .world
            .state
            .people
            .plans
            .get(&county)
            .and_then(|years| years.get(&YEAR))
            .and_then(|plan| plan.indicators.get(&indicator(code_text)))
            .map(|facts| facts.standing_deductions(period).map(|(a, _)| a.assessed.assessment_id).collect())
            .unwrap_or_default();
        let outcome = match (tiered, self.choices.below(4)) {
            (false, 0) => match self.pick(&standing).copied() {
                Some(assessment_id) => PersonalOutcome::Withdrawal { assessment_id },
                None => return,
            },
            (false, _) => PersonalOutcome::Deduction { points: Points(50 * (1 + self.choices.below(6) as i64)) },
            (true, _) => PersonalOutcome::Tier { tier: 1 + self.choices.below(3) as u32 },
        };
        let command = AssessPersonalIndicator {
            unit: county.clone(),
            indicator: indicator(code_text),
            period,
            outcome,
            reason: "assessed".to_owned(),
        };
        let _ = self.world.run(&office(&county), command);
    }

    /// Rarely: a move to another section (of the county or the other), or to the county's own office,
    /// from today or a day ahead.
    fn move_person(&mut self) {
        if !self.choices.percent(30) {
            return;
        }
        let staff = person(self.staff_member());
        let to_county = unit(["YS01", "YS02"][self.choices.below(2) as usize]);
        let to_unit = if self.choices.percent(85) { self.section_of(&to_county) } else { to_county };
        let ahead = self.choices.below(3) as i64 * 10;
        let effective_on = (ahead > 0).then(|| self.world.today().plus_days(ahead)).flatten();
        let admin = self.admin.clone();
        let _ = self.world.run(&admin, MovePerson { person: staff, to_unit, effective_on });
    }

    /// A county's committee grades a person: 优秀 often enough to meet the first tier's check and the quota.
    fn grade(&mut self) {
        let staff = self.staff_member();
        let county = county_of(staff);
        let grade = match self.choices.below(5) {
            0 | 1 => AnnualGrade::Excellent,
            2 => AnnualGrade::Competent,
            3 => AnnualGrade::BasicallyCompetent,
            _ => AnnualGrade::Incompetent,
        };
        let reason =
            (grade == AnnualGrade::BasicallyCompetent || self.choices.percent(20)).then(|| "as found".to_owned());
        let command = RecordGrade { unit: county.clone(), person: person(staff), year: YEAR, grade, reason };
        let _ = self.world.run(&committee(&county), command);
    }

    /// A use of results resting on one of the views: the county's ranking of its sections, the city's
    /// ranking of its counties, or a county's individual ranking — read now or at an earlier event.
    fn result_use(&mut self) {
        let kind = [
            ResultUseKind::PraiseNotice,
            ResultUseKind::CriticismNotice,
            ResultUseKind::Honour,
            ResultUseKind::PromotionPriority,
            ResultUseKind::TrainingPriority,
        ][self.choices.below(5) as usize];
        let period = if self.choices.percent(70) {
            self.opened_month()
        } else {
            PeriodId::new(YEAR, PeriodKind::Quarter, 1 + self.choices.below(2) as u8).expect("a quarter")
        };
        let (subject, view, committee) = match self.choices.below(3) {
            0 => {
                let view = ResultView::Ranking { scheme: self.own().own.clone(), period, function_code: None };
                (ResultSubject::Unit { unit: self.own_section() }, view, self.own().committee.clone())
            }
            1 => {
                let view = ResultView::Ranking { scheme: self.scheme.clone(), period, function_code: None };
                (ResultSubject::Unit { unit: self.county() }, view, self.issuer.committee.clone())
            }
            _ => {
                let staff = self.staff_member();
                let county = county_of(staff);
                let view = ResultView::IndividualRanking { unit: county.clone(), year: YEAR };
                (ResultSubject::Person { person: person(staff) }, view, committee(&county))
            }
        };
        let read_at = match self.choices.percent(30) {
            true => {
                let events = &self.world.events;
                let event = &events[self.choices.below(events.len() as u64) as usize].recorded;
                Some(ChainPosition { seq: event.seq, hash: event.hash })
            }
            false => None,
        };
        let command = RecordResultUse { kind, subject, view, read_at, note: "decided by the committee".to_owned() };
        let _ = self.world.run(&committee, command);
    }

    /// Rarely: a member of staff retires, or has their personal information erased.
    fn erase_or_retire(&mut self) {
        if !self.choices.percent(15) {
            return;
        }
        let staff = person(self.staff_member());
        let admin = self.admin.clone();
        let _ = if self.choices.percent(50) {
            self.world
                .run(&admin, ErasePerson { person: staff, legal_basis: "本人申请删除 (PIPL 第四十七条)".to_owned() })
        } else {
            self.world.run(&admin, RetirePerson { person: staff, reason: "left the service".to_owned() })
        };
    }
}
