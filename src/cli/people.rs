//! `kpi-ledger person …`, `grade …` and `result-use …`: individuals (个人绩效), annual grades
//! (年度考核等次) and the uses of results (结果运用). Reading commands answer from the ledger or the server
//! that holds it, as every reading command does — on the ledger itself, personal texts are opened with
//! its key file as a server opens them; `grade record` and `result-use record` act as the local operator
//! in the role of the committee of `--unit`, `person erase` as an admin of `--unit`.
//!
//! Invariant: every string that comes from the ledger is printed through `Table::row` or `escape`.

use clap::Subcommand;
use serde::de::DeserializeOwned;

use crate::cli::output::{emit, escape};
use crate::cli::source::Source;
use crate::cli::table::Table;
use crate::cli::{open_reads, open_service_for_writing, parse_period, parse_unit, print_answer, LedgerArgs, ReadArgs};
use crate::domain::{Command as DomainCommand, PeriodId, PersonId, Points, Role, UnitCode};
use crate::projection::personal::{
    BasisCheck, IndividualRanking, PersonIndicators, PersonReviews, PersonalScorecard, ViewStanding, WeekStatus,
    WeeklyRecords,
};
use crate::projection::AsOf;
use crate::service::people::{Grades, Persons, ResultUseFilter, ResultUseLine, ResultUses};
use crate::service::queries::{Answer, QueryError, Reader, View};
use crate::service::read_models::ReadModels;
use crate::service::{CommandOptions, PersonKeys};

#[derive(Subcommand)]
pub enum PersonAction {
    /// A person's score for a quarter, half-year or year: per quarter the section's final, the review
    /// score, the indicator score, the weights used, missing weekly records and the score; for a year
    /// the annual score, the individual rank and tier, and the grade.
    Scorecard {
        #[command(flatten)]
        read: ReadArgs,
        /// The person's staff code (YS07-0301).
        #[arg(long)]
        person: String,
        /// A quarter (2017-Q3), half-year (2017-H2) or year (2017).
        #[arg(long)]
        period: String,
    },
    /// The indicators a person carries in the base periods of a period.
    Indicators {
        #[command(flatten)]
        read: ReadArgs,
        /// The person's staff code.
        #[arg(long)]
        person: String,
        /// A month, quarter, half-year or year.
        #[arg(long)]
        period: String,
    },
    /// A person's weekly work records in the ISO weeks of a period, missing weeks marked.
    Records {
        #[command(flatten)]
        read: ReadArgs,
        /// The person's staff code.
        #[arg(long)]
        person: String,
        /// A month, quarter, half-year or year.
        #[arg(long)]
        period: String,
    },
    /// A person's leader reviews in the quarters of a period, with each quarter's review score.
    Reviews {
        #[command(flatten)]
        read: ReadArgs,
        /// The person's staff code.
        #[arg(long)]
        person: String,
        /// A quarter, half-year or year.
        #[arg(long)]
        period: String,
    },
    /// The persons registered in a unit or under it.
    List {
        #[command(flatten)]
        read: ReadArgs,
        /// The unit.
        #[arg(long)]
        unit: String,
    },
    /// A county's individual ranking of a year: participants by annual score, rank, tier and grade.
    Ranking {
        #[command(flatten)]
        read: ReadArgs,
        /// The county (YS07).
        #[arg(long)]
        unit: String,
        /// The year (2017).
        #[arg(long)]
        year: String,
    },
    /// Erase a person's personal information (PIPL) as an admin of --unit: the key their name, weekly
    /// records, comments and reviews' comments are sealed under is destroyed, recorded as PersonErased
    /// with the legal basis. Scores, rankings and the chain stay as they are. Key backups already taken
    /// still hold the key: destroy them too.
    Erase {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The unit whose admin erases (its scope must hold the person's unit).
        #[arg(long)]
        unit: String,
        /// The person's staff code.
        #[arg(long)]
        person: String,
        /// Why: the legal basis, e.g. "本人申请删除 (PIPL 第四十七条)" (recorded in clear).
        #[arg(long)]
        legal_basis: String,
    },
}

#[derive(Subcommand)]
pub enum GradeAction {
    /// Record a participant's annual grade as the committee of --unit (the county): excellent (优秀:
    /// first individual tier, within the quota), competent, basically_competent or incompetent (these
    /// two need --reason).
    Record {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The county whose committee records it.
        #[arg(long)]
        unit: String,
        /// The person's staff code.
        #[arg(long)]
        person: String,
        /// The year (2017).
        #[arg(long)]
        year: i32,
        /// excellent, competent, basically_competent or incompetent.
        #[arg(long)]
        grade: String,
        /// Why (required for basically_competent and incompetent).
        #[arg(long)]
        reason: Option<String>,
    },
    /// A county's annual grades of a year, with the ranking each was checked against and whether that
    /// basis still holds.
    List {
        #[command(flatten)]
        read: ReadArgs,
        /// The county (YS07).
        #[arg(long)]
        unit: String,
        /// The year (2017).
        #[arg(long)]
        year: String,
    },
}

#[derive(Subcommand)]
pub enum ResultUseAction {
    /// Record a use of results as the committee of --unit: the kind, the subject (--subject-unit or
    /// --subject-person), the view (--scheme and --period [--function-code], or --county and --year)
    /// and where it was read (--read-at SEQ:HASH as `head` prints it; the head when left out).
    Record {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// The committee's unit.
        #[arg(long)]
        unit: String,
        /// praise_notice, criticism_notice, honour, promotion_priority or training_priority.
        #[arg(long)]
        kind: String,
        /// The unit the use is about.
        #[arg(long, required_unless_present = "subject_person", conflicts_with = "subject_person")]
        subject_unit: Option<String>,
        /// The person the use is about.
        #[arg(long)]
        subject_person: Option<String>,
        /// For a ranking view: the scheme (YS-2017).
        #[arg(long, requires = "period", conflicts_with_all = ["county", "year"])]
        scheme: Option<String>,
        /// For a ranking view: the period.
        #[arg(long, requires = "scheme")]
        period: Option<String>,
        /// For a ranking view of sections: their function code.
        #[arg(long, requires = "scheme")]
        function_code: Option<String>,
        /// For an individual ranking view: the county.
        #[arg(long, requires = "year", required_unless_present = "scheme")]
        county: Option<String>,
        /// For an individual ranking view: the year.
        #[arg(long, requires = "county")]
        year: Option<i32>,
        /// Where the view was read: SEQ:HASH (the head when left out).
        #[arg(long, value_name = "SEQ:HASH")]
        read_at: Option<String>,
        /// What was decided (the notice's number and title, the honour …).
        #[arg(long)]
        note: String,
    },
    /// The uses of results, each with the subject's standing when read and now and the events that
    /// changed its rank or tier since.
    List {
        #[command(flatten)]
        read: ReadArgs,
        /// Only uses about this unit or a unit under it.
        #[arg(long)]
        unit: Option<String>,
        /// Only uses about this person.
        #[arg(long)]
        person: Option<String>,
        /// Only uses whose basis changed.
        #[arg(long)]
        changed: bool,
    },
}

fn parse_person(flag: &str, text: &str) -> Result<PersonId, String> {
    PersonId::new(text).map_err(|e| format!("{flag}: {e}"))
}

fn parse_year(text: &str) -> Result<PeriodId, String> {
    let period = parse_period("--year", text)?;
    match period.kind() {
        crate::domain::PeriodKind::Year => Ok(period),
        _ => Err(format!("--year: expected a year (2017), got {text:?}")),
    }
}

/// An answer that shows personal texts, from the ledger here (opened with its key file) or from the
/// server that holds it (which opens them with its own keys).
fn read_personal<T: DeserializeOwned>(
    source: &Source,
    path: &str,
    query: Vec<(&'static str, String)>,
    local: impl FnOnce(&ReadModels, &PersonKeys) -> Result<T, QueryError>,
) -> Result<T, String> {
    read(source, path, query, |models| {
        let keys = PersonKeys::for_reading(models).map_err(QueryError::Service)?;
        local(models, &keys)
    })
}

/// An answer from the ledger here, or from the server that holds it.
fn read<T: DeserializeOwned>(
    source: &Source,
    path: &str,
    query: Vec<(&'static str, String)>,
    local: impl FnOnce(&ReadModels) -> Result<T, QueryError>,
) -> Result<T, String> {
    match source {
        Source::Local(read_models) => local(read_models).map_err(|e| e.to_string()),
        Source::Remote(remote) => remote.get(path, &query),
    }
}

fn view_query(view: View) -> Vec<(&'static str, String)> {
    crate::cli::source::view_query(view)
}

pub fn person(action: PersonAction) -> Result<(), String> {
    match action {
        PersonAction::Scorecard { read: args, person, period } => {
            let (person, period) = (parse_person("--person", &person)?, parse_period("--period", &period)?);
            let (source, view) = open_reads(&args)?;
            let mut query = vec![("person", person.to_string()), ("period", period.to_string())];
            query.extend(view_query(view));
            let answer: Answer<PersonalScorecard> =
                read_personal(&source, "/v1/persons/scorecard", query, |models, keys| {
                    models.person_scorecard(&person, period, view, keys)
                })?;
            print_answer(args.json, &answer, || scorecard_text(&answer))
        }
        PersonAction::Indicators { read: args, person, period } => person_period_read(
            &args,
            &person,
            &period,
            "/v1/persons/indicators",
            |models, person, period, as_of, _| models.person_indicators(person, period, as_of),
            indicators_text,
        ),
        PersonAction::Records { read: args, person, period } => person_period_read(
            &args,
            &person,
            &period,
            "/v1/persons/weekly-records",
            ReadModels::weekly_records,
            records_text,
        ),
        PersonAction::Reviews { read: args, person, period } => {
            person_period_read(&args, &person, &period, "/v1/persons/reviews", ReadModels::person_reviews, reviews_text)
        }
        PersonAction::List { read: args, unit } => {
            let unit = parse_unit("--unit", &unit)?;
            let (source, view) = open_reads(&args)?;
            let query = as_of_query(vec![("unit", unit.to_string())], view);
            let answer: Answer<Persons> = read_personal(&source, "/v1/persons", query, |models, keys| {
                models.persons(&Reader::Local, &unit, view.as_of, keys)
            })?;
            print_answer(args.json, &answer, || persons_text(&answer))
        }
        PersonAction::Ranking { read: args, unit, year } => {
            let (unit, year) = (parse_unit("--unit", &unit)?, parse_year(&year)?);
            let (source, view) = open_reads(&args)?;
            let mut query = vec![("unit", unit.to_string()), ("period", year.to_string())];
            query.extend(view_query(view));
            let answer: Answer<IndividualRanking> =
                read_personal(&source, "/v1/individual-rankings", query, |models, keys| {
                    models.individual_ranking(&unit, year, view, keys)
                })?;
            print_answer(args.json, &answer, || ranking_text(&answer))
        }
        PersonAction::Erase { ledger, unit, person, legal_basis } => {
            let payload = serde_json::json!({"person": person, "legal_basis": legal_basis});
            let command = DomainCommand::from_payload("ErasePerson", &payload).map_err(|r| r.message)?;
            execute(&ledger, &unit, Role::Admin, &command)
        }
    }
}

/// One person's data over a period as of a point (`--person`, `--period`, `--as-of`): asked of the
/// local read models or of the running server at `path`, printed as JSON or by `text`.
fn person_period_read<T: DeserializeOwned + serde::Serialize>(
    args: &ReadArgs,
    person: &str,
    period: &str,
    path: &str,
    local: impl FnOnce(&ReadModels, &PersonId, PeriodId, AsOf, &PersonKeys) -> Result<Answer<T>, QueryError>,
    text: impl FnOnce(&Answer<T>) -> String,
) -> Result<(), String> {
    let (person, period) = (parse_person("--person", person)?, parse_period("--period", period)?);
    let (source, view) = open_reads(args)?;
    let query = as_of_query(vec![("person", person.to_string()), ("period", period.to_string())], view);
    let answer: Answer<T> =
        read_personal(&source, path, query, |models, keys| local(models, &person, period, view.as_of, keys))?;
    print_answer(args.json, &answer, || text(&answer))
}

fn as_of_query(mut query: Vec<(&'static str, String)>, view: View) -> Vec<(&'static str, String)> {
    query.extend(view_query(View { as_of: view.as_of, counting: crate::projection::Counting::Published }));
    query
}

pub fn grade(action: GradeAction) -> Result<(), String> {
    match action {
        GradeAction::Record { ledger, unit, person, year, grade, reason } => {
            let mut payload = serde_json::json!({"unit": unit, "person": person, "year": year, "grade": grade});
            if let Some(reason) = reason {
                payload["reason"] = reason.into();
            }
            let command = DomainCommand::from_payload("RecordGrade", &payload).map_err(|r| r.message)?;
            execute(&ledger, &unit, Role::Committee, &command)
        }
        GradeAction::List { read: args, unit, year } => {
            let (unit, year) = (parse_unit("--unit", &unit)?, parse_year(&year)?);
            let (source, view) = open_reads(&args)?;
            let query = as_of_query(vec![("unit", unit.to_string()), ("period", year.to_string())], view);
            let answer: Answer<Grades> = read_personal(&source, "/v1/annual-grades", query, |models, keys| {
                models.grades(&unit, year, view.as_of, keys)
            })?;
            print_answer(args.json, &answer, || grades_text(&answer))
        }
    }
}

pub fn result_use(action: ResultUseAction) -> Result<(), String> {
    match action {
        ResultUseAction::Record {
            ledger,
            unit,
            kind,
            subject_unit,
            subject_person,
            scheme,
            period,
            function_code,
            county,
            year,
            read_at,
            note,
        } => {
            let subject = match (subject_unit, subject_person) {
                (Some(unit), _) => serde_json::json!({"kind": "unit", "unit": unit}),
                (None, Some(person)) => serde_json::json!({"kind": "person", "person": person}),
                (None, None) => return Err("--subject-unit: give --subject-unit or --subject-person".into()),
            };
            let view = match (scheme, period, county, year) {
                (Some(scheme), Some(period), _, _) => {
                    let mut view = serde_json::json!({"kind": "ranking", "scheme": scheme, "period": period});
                    if let Some(code) = function_code {
                        view["function_code"] = code.into();
                    }
                    view
                }
                (_, _, Some(county), Some(year)) => {
                    serde_json::json!({"kind": "individual_ranking", "unit": county, "year": year})
                }
                _ => return Err("--scheme: give --scheme and --period, or --county and --year".into()),
            };
            let mut payload = serde_json::json!({"kind": kind, "subject": subject, "view": view, "note": note});
            if let Some(read_at) = read_at {
                let (seq, hash) = read_at
                    .split_once(':')
                    .and_then(|(seq, hash)| seq.parse::<u64>().ok().map(|seq| (seq, hash.to_owned())))
                    .ok_or_else(|| {
                        format!("--read-at: expected SEQ:HASH as `kpi-ledger head` prints it, got {read_at:?}")
                    })?;
                payload["read_at"] = serde_json::json!({"seq": seq, "hash": hash});
            }
            let command = DomainCommand::from_payload("RecordResultUse", &payload).map_err(|r| r.message)?;
            execute(&ledger, &unit, Role::Committee, &command)
        }
        ResultUseAction::List { read: args, unit, person, changed } => {
            let unit = unit.as_deref().map(|text| parse_unit("--unit", text)).transpose()?;
            let person = person.as_deref().map(|text| parse_person("--person", text)).transpose()?;
            let (source, view) = open_reads(&args)?;
            let mut query = Vec::new();
            query.extend(unit.as_ref().map(|unit| ("unit", unit.to_string())));
            query.extend(person.as_ref().map(|person| ("person", person.to_string())));
            if changed {
                query.push(("changed", "true".to_owned()));
            }
            let query = as_of_query(query, view);
            let filter = ResultUseFilter { unit, person, changed_only: changed };
            let answer: Answer<ResultUses> = read(&source, "/v1/result-uses", query, |models| {
                models.result_uses(&Reader::Local, &filter, view.as_of)
            })?;
            print_answer(args.json, &answer, || uses_text(&answer))
        }
    }
}

/// Carries out one command as the local operator, in `role` for `unit`.
fn execute(ledger: &LedgerArgs, unit: &str, role: Role, command: &DomainCommand) -> Result<(), String> {
    let service = open_service_for_writing(&ledger.settings())?;
    let actor = crate::cli::serve::operator_with_role(unit, role)?;
    let executed = service.execute(actor, command, CommandOptions::default()).map_err(|e| e.to_string())?;
    emit(&format!("{} → {} {}\n", command.name(), executed.stream, executed.last_seq))
}

// ---- Printers ----------------------------------------------------------------------------------

fn points(value: Option<Points>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| value.to_string())
}

fn unit_text(unit: Option<&UnitCode>) -> String {
    unit.map_or_else(|| "—".to_owned(), UnitCode::to_string)
}

fn as_of(seq: u64) -> String {
    format!("as of event {seq}")
}

pub(super) fn scorecard_text(answer: &Answer<PersonalScorecard>) -> String {
    let card = &answer.value;
    let mut text = format!(
        "scorecard of {} {}, {} ({})\n",
        card.person,
        escape(&card.name.to_string()),
        card.period,
        as_of(answer.as_of_seq)
    );
    let mut table = Table::new(&[
        "quarter",
        "section",
        ">section final",
        ">review",
        ">indicators",
        "weights",
        ">missing weeks",
        ">score",
    ]);
    for quarter in &card.quarters {
        let weights = quarter.weights_used;
        let weight = |value: Option<u32>| value.map_or_else(|| "-".to_owned(), |value| value.to_string());
        table.row(vec![
            quarter.quarter.to_string(),
            unit_text(quarter.section.as_ref()),
            points(quarter.section_final.as_ref().map(|f| f.final_score)),
            points(quarter.review_score),
            points(quarter.indicator_score),
            format!("{}/{}/{}", weight(weights.section), weight(weights.review), weight(weights.indicators)),
            quarter.missing_weeks.len().to_string(),
            points(quarter.score),
        ]);
    }
    text.push_str(&table.render());
    text.push_str(&format!("  score {}\n", points(card.score)));
    if let Some(place) = &card.place {
        text.push_str(&format!(
            "  individual ranking of {} {}: rank {}, tier {} of {} participants\n",
            place.county,
            place.year,
            place.rank.map_or_else(|| "—".to_owned(), |rank| rank.to_string()),
            place.tier.map_or_else(|| "—".to_owned(), |tier| tier.to_string()),
            place.participants
        ));
    }
    if let Some(grade) = card.grade {
        text.push_str(&format!("  annual grade {grade}\n"));
    }
    if !card.provisional_periods.is_empty() {
        let listed: Vec<String> = card.provisional_periods.iter().map(PeriodId::to_string).collect();
        text.push_str(&format!("  provisional: counts {} not yet published\n", listed.join(", ")));
    }
    text
}

fn indicators_text(answer: &Answer<PersonIndicators>) -> String {
    let value = &answer.value;
    let mut text = format!("indicators {} carries in {} ({})\n", value.person, value.period, as_of(answer.as_of_seq));
    let mut table = Table::new(&["scheme", "unit", "indicator", "name", ">points", "lead", "from", "to"]);
    for line in &value.indicators {
        table.row(vec![
            line.scheme.as_ref().map_or_else(|| "personal".to_owned(), ToString::to_string),
            line.unit.to_string(),
            line.indicator.to_string(),
            line.name.clone(),
            line.points_max.to_string(),
            unit_text(line.lead_section.as_ref()),
            line.from.to_string(),
            line.to.to_string(),
        ]);
    }
    text.push_str(&table.render());
    text
}

fn records_text(answer: &Answer<WeeklyRecords>) -> String {
    let value = &answer.value;
    let mut text = format!(
        "weekly records of {} in {} (weeks over by {}; {}): {} filed, {} missing\n",
        value.person,
        value.period,
        value.today,
        as_of(answer.as_of_seq),
        value.filed,
        value.missing.len()
    );
    let mut table = Table::new(&["week", "from", "status", "unit", ">comments", "text"]);
    for week in &value.weeks {
        let status = match week.status {
            WeekStatus::Filed => "filed",
            WeekStatus::Missing => "missing",
            WeekStatus::Open => "open",
            WeekStatus::NotInService => "not in service",
        };
        table.row(vec![
            week.week.to_string(),
            week.monday.to_string(),
            status.to_owned(),
            unit_text(week.unit.as_ref()),
            week.comments.len().to_string(),
            week.text.as_ref().map(ToString::to_string).unwrap_or_default(),
        ]);
    }
    text.push_str(&table.render());
    text
}

fn reviews_text(answer: &Answer<PersonReviews>) -> String {
    let value = &answer.value;
    let mut text = format!("reviews of {} in {} ({})\n", value.person, value.period, as_of(answer.as_of_seq));
    let mut table = Table::new(&["quarter", "leader", ">score", "counts", "comment"]);
    for quarter in &value.quarters {
        for review in &quarter.reviews {
            table.row(vec![
                quarter.quarter.to_string(),
                review.leader.clone(),
                review.score.to_string(),
                if review.counts { "yes".into() } else { "replaced".into() },
                review.comment.to_string(),
            ]);
        }
        table.row(vec![quarter.quarter.to_string(), "review score".into(), points(quarter.review_score)]);
    }
    text.push_str(&table.render());
    text
}

pub(super) fn persons_text(answer: &Answer<Persons>) -> String {
    let value = &answer.value;
    let mut text = format!("persons of {} on {} ({})\n", value.unit, value.today, as_of(answer.as_of_seq));
    let mut table = Table::new(&["person", "name", "unit", "retired"]);
    for person in &value.persons {
        table.row(vec![
            person.person.to_string(),
            person.name.to_string(),
            unit_text(person.unit.as_ref()),
            if person.retired { "retired".into() } else { String::new() },
        ]);
    }
    text.push_str(&table.render());
    text
}

fn ranking_text(answer: &Answer<IndividualRanking>) -> String {
    let ranking = &answer.value;
    let mut text = format!(
        "individual ranking of {} {} ({}): {} participants, 优秀 quota {} ({} graded)\n",
        ranking.county,
        ranking.year,
        as_of(answer.as_of_seq),
        ranking.participants,
        ranking.excellent_quota,
        ranking.excellent_graded
    );
    let mut table = Table::new(&[">rank", ">tier", "person", "name", "section", ">annual", "grade"]);
    for line in &ranking.standings {
        table.row(vec![
            line.rank.to_string(),
            line.tier.to_string(),
            line.person.to_string(),
            line.name.to_string(),
            unit_text(line.section.as_ref()),
            line.annual_score.to_string(),
            line.grade.map_or_else(String::new, |grade| grade.to_string()),
        ]);
    }
    text.push_str(&table.render());
    if !ranking.unranked.is_empty() {
        let unranked: Vec<String> = ranking.unranked.iter().map(ToString::to_string).collect();
        text.push_str(&format!("  unranked: {}\n", unranked.join(", ")));
    }
    text
}

fn standing(value: Option<ViewStanding>) -> String {
    value.map_or_else(|| "unranked".to_owned(), |s| format!("rank {} tier {} ({})", s.rank, s.tier, s.score))
}

fn basis_text(check: &BasisCheck) -> String {
    match (check.basis_changed, check.holds_now) {
        (false, _) => "holds".to_owned(),
        (true, true) => format!("changed, holds again ({} change(s))", check.changes.len()),
        (true, false) => format!("changed ({} change(s))", check.changes.len()),
    }
}

pub(super) fn changes_lines(check: &BasisCheck) -> String {
    let mut text = String::new();
    for change in &check.changes {
        text.push_str(&format!(
            "      event {} {} by {}: {} → {}\n",
            change.event.seq,
            escape(&change.event.event_type),
            escape(&change.event.actor_id),
            standing(change.before),
            standing(change.after)
        ));
    }
    text
}

fn grades_text(answer: &Answer<Grades>) -> String {
    let value = &answer.value;
    let mut text = format!(
        "annual grades of {} {} ({}): {} participants, 优秀 quota {}, {} graded 优秀; {} with a changed basis\n",
        value.county,
        value.year,
        as_of(answer.as_of_seq),
        value.participants,
        value.excellent_quota,
        value.excellent_graded,
        value.basis_changed
    );
    for line in &value.grades {
        text.push_str(&format!(
            "  {} {} {} (event {}): when recorded {}, now {}; basis {}\n",
            line.person,
            escape(&line.name.to_string()),
            line.grade,
            line.event.seq,
            standing(line.basis.at_read),
            standing(line.basis.now),
            basis_text(&line.basis)
        ));
        text.push_str(&changes_lines(&line.basis));
    }
    text
}

fn uses_text(answer: &Answer<ResultUses>) -> String {
    let value = &answer.value;
    let mut text = format!(
        "uses of results ({}): {}, {} with a changed basis\n",
        as_of(answer.as_of_seq),
        value.uses.len(),
        value.basis_changed
    );
    for line in &value.uses {
        text.push_str(&use_lines(line));
    }
    text
}

/// One use of results: what it was, the view and chain position it rested on, then and now, its
/// note, and the events that changed its basis.
pub(super) fn use_lines(line: &ResultUseLine) -> String {
    let mut text = format!(
        "  {} {} on {}, read at {}:{} by {} (event {}): then {}, now {}; basis {}\n    {}\n",
        line.kind.as_str(),
        line.subject,
        line.view,
        line.read_at.seq,
        line.read_at.hash,
        line.committee,
        line.event.seq,
        standing(line.basis.at_read),
        standing(line.basis.now),
        basis_text(&line.basis),
        escape(&line.note)
    );
    text.push_str(&changes_lines(&line.basis));
    text
}
