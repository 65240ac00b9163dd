//! Realistic histories of every size: an organisation, one scheme per assessing unit, plans with a
//! few indicators dropped, then a year of monthly assessment — tier awards, deductions with causes and
//! rectifications, direct office deductions, bonuses, rare vetoes, appeals decided and escalated —
//! each month published and finalised after its objection window. Sizes `County` and `L` add, year by
//! year, each county's own scheme and its staff (`staff`): the county's indicators local and taken
//! over, its monthly assessment of its sections and its bulletin's months, and its staff's weekly
//! records, personal indicators, reviews, moves, grades and the uses of results; `County` runs four
//! years, the others one.
//!
//! Invariant: every command built here is valid when it is run (a rejection panics: it is a bug in
//! the generator), and phases run for every issuer before the next phase starts, so recorded times
//! never decrease and every window is respected. Sizes S and M give the histories they always gave.

use kpi_ledger::domain::appeal::{AppealOutcome, AppealTarget};
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::{
    AppealId, DeductionId, FunctionCode, IndicatorCode, PeriodId, PersonId, Points, ProblemCategory, Role, SchemeId,
    Timestamp, UnitCode, UnitLevel,
};

use super::world::{actor, appellant, assign, code, define_indicator, office, IssuerActors, World};
use super::{Choose, History, SeededChoices, Size};

mod staff;

/// The (last) year every generated history assesses.
pub const YEAR: i32 = 2017;

/// Section function codes, in the order sections are registered.
const FUNCTIONS: [&str; 10] = ["BGS", "ZG", "ZGU", "SZ", "NF", "FG", "JC", "CW", "XX", "KJ"];

/// Problem categories indicators draw two of.
const CATEGORIES: [&str; 6] = [
    "late_submission",
    "quality",
    "document_filing",
    "missing_report",
    "registration_data_quality",
    "enforcement_error",
];

/// Deduction amounts the generator draws from, in hundredths.
const DEDUCTION_POINTS: [i64; 5] = [25, 50, 100, 150, 200];

struct Shape {
    cities: usize,
    counties_per_city: usize,
    sections_per_county: usize,
    indicators_per_function: usize,
    province: bool,
    /// Years assessed, the last of them `YEAR`.
    years: i32,
    /// Persons in each county's sections (none: no staff, and no scheme of the county's own).
    staff_per_county: usize,
}

impl Shape {
    fn of(size: Size) -> Shape {
        let shape = |cities, counties_per_city, sections_per_county, province, years, staff_per_county| Shape {
            cities,
            counties_per_city,
            sections_per_county,
            indicators_per_function: 5,
            province,
            years,
            staff_per_county,
        };
        match size {
            Size::S => shape(1, 12, 8, false, 1, 0),
            Size::M => shape(15, 10, 10, true, 1, 0),
            Size::County => shape(1, 1, 6, false, 4, 40),
            Size::L => shape(10, 10, 6, true, 1, 50),
        }
    }
}

/// An indicator as the generator plans it.
struct PlannedIndicator {
    code: IndicatorCode,
    /// Index into `FUNCTIONS` of the section that leads it (`None` for a province indicator).
    function: Option<usize>,
    tiered: bool,
    veto: bool,
    categories: Vec<ProblemCategory>,
}

struct Assessee {
    code: UnitCode,
    sections: Vec<UnitCode>,
    head: PersonId,
    dropped: Vec<IndicatorCode>,
}

struct Issuer {
    code: UnitCode,
    scheme: SchemeId,
    actors: IssuerActors,
    assessees: Vec<Assessee>,
    indicators: Vec<PlannedIndicator>,
}

/// A deduction of the month that may be appealed.
struct Appealable {
    deduction: DeductionId,
    county: UnitCode,
    points: Points,
    issuer: usize,
}

struct Generator {
    world: World,
    choices: SeededChoices,
    admin: kpi_ledger::domain::Actor,
    issuers: Vec<Issuer>,
    /// The year being assessed.
    year: i32,
    /// Each county's own scheme and staff (sizes `County` and `L`).
    counties: Vec<staff::County>,
    /// Access tokens granted so far (each token hash is made from this count).
    tokens: u64,
}

pub fn generate(seed: u64, size: Size) -> History {
    let shape = Shape::of(size);
    let first_year = YEAR - shape.years + 1;
    let start = civil(first_year, 1, 3, 9);
    let root = code(if shape.province { "P01".to_owned() } else { "C01".to_owned() });
    let admin = actor(format!("admin.{}", root.as_str().to_lowercase()), Role::Admin, &root);
    let mut world = World::new(seed, start);
    if shape.staff_per_county > 0 {
        world = world.sealing_texts();
    }
    let mut generator = Generator {
        world,
        choices: SeededChoices::new(seed),
        admin,
        issuers: Vec::new(),
        year: first_year,
        counties: Vec::new(),
        tokens: 0,
    };
    generator.organisation(&shape, &root);
    let staffed = shape.staff_per_county > 0;
    if staffed {
        generator.register_staff(&shape);
    }
    for year in first_year..=YEAR {
        generator.year = year;
        generator.schemes(&shape);
        generator.plans();
        if staffed {
            generator.own_schemes();
            generator.staff_year();
        }
        for month in 1..=12 {
            generator.month(month, staffed);
        }
        if staffed {
            generator.grades_and_uses();
        }
    }
    History { events: generator.world.events, state: generator.world.state }
}

/// An instant of `year` (month 13 is January of the next year).
fn civil(year: i32, month: u8, day: u8, hour: u8) -> Timestamp {
    let (year, month) = if month > 12 { (year + 1, month - 12) } else { (year, month) };
    Timestamp::from_civil(year, month, day, hour, 0, 0).expect("generated dates are real dates")
}

fn period_of(year: i32, month: u8) -> PeriodId {
    PeriodId::month(year, month).expect("months 1 to 12 are periods")
}

fn category(text: &str) -> ProblemCategory {
    ProblemCategory::new(text).expect("generator categories are well-formed")
}

fn function_code(index: usize) -> FunctionCode {
    FunctionCode::new(FUNCTIONS[index]).expect("generator function codes are well-formed")
}

impl Generator {
    /// Month `month` of the year being assessed.
    fn period(&self, month: u8) -> PeriodId {
        period_of(self.year, month)
    }

    /// An instant of the year being assessed (month 13 is January of the next).
    fn at(&self, month: u8, day: u8, hour: u8) -> Timestamp {
        civil(self.year, month, day, hour)
    }

    fn register(&mut self, unit: &UnitCode, level: UnitLevel, parent: Option<&UnitCode>, function: Option<usize>) {
        let command = RegisterUnit {
            unit: unit.clone(),
            name: format!("unit {unit}"),
            level,
            parent: parent.cloned(),
            function_code: function.map(function_code),
        };
        let admin = self.admin.clone();
        self.world.must(&admin, command);
    }

    fn organisation(&mut self, shape: &Shape, root: &UnitCode) {
        let cities: Vec<UnitCode> = if shape.province {
            self.register(root, UnitLevel::Province, None, None);
            (1..=shape.cities).map(|index| code(format!("{root}C{index:02}"))).collect()
        } else {
            vec![root.clone()]
        };
        let mut city_assessees = Vec::new();
        for city in &cities {
            let parent = shape.province.then_some(root);
            self.register(city, UnitLevel::City, parent, None);
            city_assessees.push((city.clone(), self.counties(shape, city)));
        }
        if shape.province {
            let assessees = cities.iter().map(|city| self.head_only(city)).collect();
            self.issuers.push(issuer(root, assessees, Vec::new()));
        }
        for (city, assessees) in city_assessees {
            self.issuers.push(issuer(&city, assessees, Vec::new()));
        }
    }

    fn counties(&mut self, shape: &Shape, city: &UnitCode) -> Vec<Assessee> {
        let mut counties = Vec::new();
        for index in 1..=shape.counties_per_city {
            let county = code(format!("{city}K{index:02}"));
            self.register(&county, UnitLevel::County, Some(city), None);
            let mut sections = Vec::new();
            for (function, suffix) in FUNCTIONS.iter().enumerate().take(shape.sections_per_county) {
                let section = code(format!("{county}-{suffix}"));
                self.register(&section, UnitLevel::Section, Some(&county), Some(function));
                sections.push(section);
            }
            let mut assessee = self.head_only(&county);
            assessee.sections = sections;
            counties.push(assessee);
        }
        counties
    }

    /// Registers the unit's head (who approves dropped indicators).
    fn head_only(&mut self, unit: &UnitCode) -> Assessee {
        let head = PersonId::new(format!("{unit}-0001")).expect("generated person ids are well-formed");
        let command = RegisterPerson { person: head.clone(), name: format!("head of {unit}"), unit: unit.clone() };
        let admin = self.admin.clone();
        self.world.must(&admin, command);
        Assessee { code: unit.clone(), sections: Vec::new(), head, dropped: Vec::new() }
    }

    fn schemes(&mut self, shape: &Shape) {
        self.world.advance_to(self.at(1, 5, 9));
        for index in 0..self.issuers.len() {
            self.issuers[index].scheme = SchemeId::for_issuer_year(&self.issuers[index].code, self.year);
            let with_sections = !self.issuers[index].assessees.iter().all(|assessee| assessee.sections.is_empty());
            let functions = if with_sections { shape.sections_per_county } else { 2 };
            let indicators = planned_indicators(functions, shape.indicators_per_function, with_sections);
            let admin = self.admin.clone();
            let issuer_code = self.issuers[index].code.clone();
            self.world.must(&admin, kpi_ledger::article::open_scheme(issuer_code.clone(), self.year));
            for planned in &indicators {
                self.world.must(&admin, define(&self.issuers[index].scheme, &issuer_code, planned));
            }
            self.issuers[index].indicators = indicators;
        }
    }

    /// Each assessed unit's office drops an indicator or two (30 %), then assigns the rest to the
    /// section of their function.
    fn plans(&mut self) {
        self.world.advance_to(self.at(1, 20, 10));
        for issuer_index in 0..self.issuers.len() {
            for assessee_index in 0..self.issuers[issuer_index].assessees.len() {
                self.plan(issuer_index, assessee_index);
            }
        }
    }

    fn plan(&mut self, issuer_index: usize, assessee_index: usize) {
        let issuer = &self.issuers[issuer_index];
        let assessee = &issuer.assessees[assessee_index];
        if assessee.sections.is_empty() {
            return;
        }
        let office = office(&assessee.code);
        let mut commands: Vec<Command> = Vec::new();
        let mut dropped = Vec::new();
        let drops = if self.choices.percent(30) { 1 + self.choices.below(2) } else { 0 };
        for _ in 0..drops {
            let candidate = &issuer.indicators[self.choices.below(issuer.indicators.len() as u64) as usize];
            if candidate.veto || dropped.contains(&candidate.code) {
                continue;
            }
            dropped.push(candidate.code.clone());
            commands.push(not_applicable(&issuer.scheme, &candidate.code, assessee).into());
        }
        for planned in &issuer.indicators {
            let Some(function) = planned.function.filter(|_| !dropped.contains(&planned.code)) else { continue };
            commands.push(assign(&issuer.scheme, &planned.code, &assessee.code, &assessee.sections[function]).into());
        }
        for command in commands {
            self.world.must(&office, command);
        }
        self.issuers[issuer_index].assessees[assessee_index].dropped = dropped;
    }

    /// Opens month `month`, assesses it early next month, publishes, hears appeals, and finalises once no
    /// decision may still be escalated.
    ///
    /// With staff (`staffed`): mid-year some move; the month's weekly records come in on the 1st of the
    /// next, each county assesses its sections and its staff's personal indicators after the city's
    /// assessment, the leaders review each quarter on the 5th, and each county publishes and finalises
    /// its own month right after the city.
    fn month(&mut self, month: u8, staffed: bool) {
        self.world.advance_to(self.at(month, 1, 8));
        for index in 0..self.issuers.len() {
            let scheme = self.issuers[index].scheme.clone();
            let admin = self.admin.clone();
            let period = self.period(month);
            self.world.must(&admin, OpenPeriod { scheme, period });
        }
        if staffed {
            if month == 7 {
                self.moves();
            }
            self.world.advance_to(self.at(month + 1, 1, 9));
            self.weekly_records(month);
        }
        self.world.advance_to(self.at(month + 1, 3, 9));
        let mut appealable = Vec::new();
        for index in 0..self.issuers.len() {
            appealable.extend(self.assess(index, month));
        }
        if staffed {
            self.own_assessment(month);
            self.personal_assessments(month);
            if month.is_multiple_of(3) {
                self.world.advance_to(self.at(month + 1, 5, 9));
                self.reviews(month / 3);
            }
        }
        self.world.advance_to(self.at(month + 1, 12, 9));
        let period = self.period(month);
        self.for_each_issuer(|issuer| PublishResults { scheme: issuer.scheme.clone(), period }.into());
        if staffed {
            self.own_lifecycle(month, true);
        }
        self.appeals(month, appealable);
        // After the escalation windows of the decisions on the 15th (five days) have closed.
        self.world.advance_to(self.at(month + 1, 21, 10));
        self.for_each_issuer(|issuer| FinalisePeriod { scheme: issuer.scheme.clone(), period }.into());
        if staffed {
            self.own_lifecycle(month, false);
        }
    }

    fn for_each_issuer(&mut self, command: impl Fn(&Issuer) -> Command) {
        for index in 0..self.issuers.len() {
            let committee = self.issuers[index].actors.committee.clone();
            let command = command(&self.issuers[index]);
            self.world.must(&committee, command);
        }
    }

    fn assess(&mut self, issuer_index: usize, month: u8) -> Vec<Appealable> {
        let mut appealable = Vec::new();
        for assessee_index in 0..self.issuers[issuer_index].assessees.len() {
            self.tier_awards(issuer_index, assessee_index, month);
            appealable.extend(self.deductions(issuer_index, assessee_index, month));
            self.bonus_and_veto(issuer_index, assessee_index, month);
        }
        appealable
    }

    fn tier_awards(&mut self, issuer_index: usize, assessee_index: usize, month: u8) {
        let issuer = &self.issuers[issuer_index];
        let assessee = &issuer.assessees[assessee_index];
        let mut commands = Vec::new();
        for planned in
            issuer.indicators.iter().filter(|planned| planned.tiered && !assessee.dropped.contains(&planned.code))
        {
            let draw = self.choices.below(100);
            let tier = match draw {
                0..=49 => 1,
                50..=79 => 2,
                80..=94 => 3,
                _ => 4,
            };
            commands.push(AwardTier {
                scheme: issuer.scheme.clone(),
                period: period_of(self.year, month),
                unit: assessee.code.clone(),
                indicator: planned.code.clone(),
                tier,
                reason: format!("completion graded tier {tier}"),
            });
        }
        let assessor = issuer.actors.assessor.clone();
        for command in commands {
            self.world.must(&assessor, command);
        }
    }

    /// Up to three deductions, a quarter of them attributed to a section (half of those rectified),
    /// and now and then a direct deduction by the office on one of its sections.
    fn deductions(&mut self, issuer_index: usize, assessee_index: usize, month: u8) -> Vec<Appealable> {
        let count = [0, 1, 1, 2, 2, 3, 3, 4, 5, 6][self.choices.below(10) as usize];
        let mut appealable = Vec::new();
        for _ in 0..count {
            let Some(command) = self.deduction(issuer_index, assessee_index, month, None) else { continue };
            let points = command.points;
            let assessor = self.issuers[issuer_index].actors.assessor.clone();
            let id = DeductionId(self.world.must(&assessor, command));
            let county = self.issuers[issuer_index].assessees[assessee_index].code.clone();
            self.cause(issuer_index, assessee_index, id);
            appealable.push(Appealable { deduction: id, county, points, issuer: issuer_index });
        }
        let sections = self.issuers[issuer_index].assessees[assessee_index].sections.len() as u64;
        if sections > 0 && self.choices.percent(10) {
            let section = self.choices.below(sections) as usize;
            if let Some(command) = self.deduction(issuer_index, assessee_index, month, Some(section)) {
                let county = self.issuers[issuer_index].assessees[assessee_index].code.clone();
                self.world.must(&office(&county), command);
            }
        }
        appealable
    }

    /// A deduction on a random deduct indicator that still has points left (for `section`, one the
    /// section leads), or `None` when the draw finds none.
    fn deduction(
        &mut self,
        issuer_index: usize,
        assessee_index: usize,
        month: u8,
        section: Option<usize>,
    ) -> Option<RecordDeduction> {
        let issuer = &self.issuers[issuer_index];
        let assessee = &issuer.assessees[assessee_index];
        let planned = &issuer.indicators[self.choices.below(issuer.indicators.len() as u64) as usize];
        let leads = section.is_none_or(|section| planned.function == Some(section));
        if planned.tiered || !leads || assessee.dropped.contains(&planned.code) {
            return None;
        }
        let unit = section.map_or_else(|| assessee.code.clone(), |section| assessee.sections[section].clone());
        let scheme = &self.world.state.schemes[&issuer.scheme];
        let points_max = scheme.indicators[&planned.code].version_at(period_of(self.year, month)).points_max;
        let left =
            points_max - self.world.state.deducted_points(scheme, period_of(self.year, month), &unit, &planned.code);
        let points = Points(DEDUCTION_POINTS[self.choices.below(DEDUCTION_POINTS.len() as u64) as usize]).min(left);
        if points <= Points::ZERO {
            return None;
        }
        let category = planned.categories[self.choices.below(planned.categories.len() as u64) as usize].clone();
        Some(RecordDeduction {
            scheme: issuer.scheme.clone(),
            period: period_of(self.year, month),
            unit,
            indicator: planned.code.clone(),
            points,
            reason: format!("{} found in {}", category, period_of(self.year, month)),
            problem_category: category,
            evidence_digests: Vec::new(),
            links: Vec::new(),
        })
    }

    fn cause(&mut self, issuer_index: usize, assessee_index: usize, deduction: DeductionId) {
        let assessee = &self.issuers[issuer_index].assessees[assessee_index];
        if assessee.sections.is_empty() || !self.choices.percent(25) {
            return;
        }
        let cause_unit = assessee.sections[self.choices.below(assessee.sections.len() as u64) as usize].clone();
        let office = office(&assessee.code);
        let attribution = AttributeCause {
            deduction_id: deduction,
            cause_unit: cause_unit.clone(),
            description: format!("caused by {cause_unit}"),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        };
        self.world.must(&office, attribution);
        if self.choices.percent(50) {
            let rectification = RecordRectification {
                deduction_id: deduction,
                description: format!("{cause_unit} corrected its procedure"),
                evidence_digests: Vec::new(),
                links: Vec::new(),
            };
            self.world.must(&office, rectification);
        }
    }

    fn bonus_and_veto(&mut self, issuer_index: usize, assessee_index: usize, month: u8) {
        let issuer = &self.issuers[issuer_index];
        let unit = issuer.assessees[assessee_index].code.clone();
        let scheme = issuer.scheme.clone();
        let assessor = issuer.actors.assessor.clone();
        let veto_indicator = issuer.indicators.iter().find(|planned| planned.veto).map(|planned| planned.code.clone());
        if self.choices.percent(8) {
            let points = Points(50 * (1 + self.choices.below(6) as i64));
            let bonus = AwardBonus {
                scheme: scheme.clone(),
                period: period_of(self.year, month),
                unit: unit.clone(),
                points,
                reason: "key work praised".to_owned(),
            };
            self.world.must(&assessor, bonus);
        }
        if let Some(indicator) = veto_indicator.filter(|_| self.choices.below(1000) < 5) {
            let veto = ApplyVeto {
                scheme,
                period: period_of(self.year, month),
                unit,
                indicator,
                reason: "integrity breach".to_owned(),
            };
            self.world.must(&assessor, veto);
        }
    }

    /// 12 % of the month's deductions are appealed on the 13th, decided on the 15th; a third of the
    /// decisions that restored less than all are escalated on the 16th and decided on the 17th.
    fn appeals(&mut self, month: u8, appealable: Vec<Appealable>) {
        self.world.advance_to(civil(self.year, month + 1, 13, 9));
        let mut filed = Vec::new();
        for candidate in appealable.into_iter().filter(|_| self.choices.percent(12)) {
            let filing = FileAppeal {
                target: AppealTarget::Deduction { deduction_id: candidate.deduction },
                grounds: "the finding is disputed".to_owned(),
                evidence_digests: Vec::new(),
            };
            let id = AppealId(self.world.must(&appellant(&candidate.county), filing));
            filed.push((id, candidate));
        }
        self.world.advance_to(civil(self.year, month + 1, 15, 9));
        let mut escalatable = Vec::new();
        for (id, candidate) in filed {
            let outcome = self.outcome(candidate.points);
            let reviewer = self.issuers[candidate.issuer].actors.reviewer.clone();
            let decision =
                DecideAppeal { appeal_id: id, outcome, reasoning: "reviewed".to_owned(), evidence_digests: Vec::new() };
            self.world.must(&reviewer, decision);
            if outcome != AppealOutcome::Upheld && self.choices.percent(33) {
                escalatable.push((id, candidate, outcome));
            }
        }
        self.escalations(month, escalatable);
    }

    fn outcome(&mut self, points: Points) -> AppealOutcome {
        match self.choices.below(10) {
            0..=3 => AppealOutcome::Upheld,
            4..=6 if points.hundredths() >= 2 => {
                AppealOutcome::Partial { points_restored: Points(points.hundredths() / 2) }
            }
            _ => AppealOutcome::Dismissed,
        }
    }

    fn escalations(&mut self, month: u8, escalatable: Vec<(AppealId, Appealable, AppealOutcome)>) {
        self.world.advance_to(civil(self.year, month + 1, 16, 9));
        for (id, candidate, _) in &escalatable {
            let escalation = EscalateAppeal {
                appeal_id: *id,
                grounds: "the review was wrong".to_owned(),
                evidence_digests: Vec::new(),
            };
            self.world.must(&appellant(&candidate.county), escalation);
        }
        self.world.advance_to(civil(self.year, month + 1, 17, 9));
        for (id, candidate, first) in escalatable {
            let outcome = if self.choices.percent(30) { AppealOutcome::Upheld } else { first };
            let committee = self.issuers[candidate.issuer].actors.committee.clone();
            self.world.must(
                &committee,
                DecideAppeal {
                    appeal_id: id,
                    outcome,
                    reasoning: "the committee decided".to_owned(),
                    evidence_digests: Vec::new(),
                },
            );
        }
    }
}

fn issuer(code: &UnitCode, assessees: Vec<Assessee>, indicators: Vec<PlannedIndicator>) -> Issuer {
    Issuer {
        code: code.clone(),
        scheme: SchemeId::for_issuer_year(code, YEAR),
        actors: IssuerActors::of(code),
        assessees,
        indicators,
    }
}

/// `per_function` indicators for each of `functions` functions: the second of the third function is
/// tiered, the last of the sixth carries the veto (where they exist).
fn planned_indicators(functions: usize, per_function: usize, with_sections: bool) -> Vec<PlannedIndicator> {
    let mut planned = Vec::new();
    for (function, function_code) in FUNCTIONS.iter().enumerate().take(functions) {
        for number in 1..=per_function {
            let prefix = if with_sections { (*function_code).to_owned() } else { format!("P{function_code}") };
            let first = (function + number) % CATEGORIES.len();
            planned.push(PlannedIndicator {
                code: IndicatorCode::new(format!("{prefix}-{number:02}"))
                    .expect("generated indicator codes are well-formed"),
                function: with_sections.then_some(function),
                tiered: number == 2 && function % 3 == 2,
                veto: number == per_function && function == 5,
                categories: vec![category(CATEGORIES[first]), category(CATEGORIES[(first + 1) % CATEGORIES.len()])],
            });
        }
    }
    planned
}

/// A planned indicator's definition: 4 points when tiered, else 2 and its problem categories.
fn define(scheme: &SchemeId, assessor: &UnitCode, planned: &PlannedIndicator) -> DefineIndicator {
    let (points, categories) = if planned.tiered { (400, Vec::new()) } else { (200, planned.categories.clone()) };
    define_indicator(scheme, &planned.code, points, (planned.tiered, planned.veto), categories, assessor)
}

fn not_applicable(scheme: &SchemeId, indicator: &IndicatorCode, assessee: &Assessee) -> MarkIndicatorNotApplicable {
    MarkIndicatorNotApplicable {
        scheme: scheme.clone(),
        indicator: indicator.clone(),
        unit: assessee.code.clone(),
        effective_from: None,
        reason: "does not apply to this unit".to_owned(),
        approver: assessee.head.clone(),
    }
}
