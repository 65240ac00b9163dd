//! The people pages (issue 12): a person's page (个人考核, `GET /person?person=…&period=…`), a county's
//! grade register (年度等次, `GET /grades?unit=…&period=…`) and the uses of results (结果运用,
//! `GET /result-uses?unit=…&changed=true`).
//!
//! - A person's page: the indicators the person carries (我的指标), the scorecard of the quarter,
//!   half-year or year chosen (per quarter the section's final, the review score, the indicator score
//!   and its lines, the weights used, the missing weeks and what they cost, the quarterly score; the
//!   period's score, and for a year the individual rank, tier and grade), the weekly records of the
//!   period (filed ones with their text and comments, missing ones marked) and the leaders' reviews.
//!   A `person` token opens on its own person and is refused any other (403).
//! - The grade register: a county's individual ranking of a year (annual score, rank, tier) beside each
//!   person's grade with its reason, the 优秀 quota and count, and every grade whose basis changed.
//! - The uses of results: each use with its subject, the view and chain position it relied on, the
//!   subject's standing then and now, and the events that changed its basis.
//!
//! Invariant: every figure and text is a figure or text of the answers the API gives for the same
//! question (`/v1/persons/scorecard`, `/indicators`, `/weekly-records`, `/reviews`,
//! `/v1/individual-rankings`, `/v1/annual-grades`, `/v1/result-uses`), read through the same service
//! reads after the same `may_read` with the same `ReadTarget` the API's routes declare — judged before
//! anything is read —, names and personal texts opened with the service's person keys (an erased
//! person reads as erased). Nothing is computed again here.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};

use crate::domain::date::Date;
use crate::domain::person::{IndicatorRef, ResultSubject, ResultUseKind, ResultView};
use crate::domain::{EventRef, PeriodId, PersonId, Points, UnitCode, UnitLevel};
use crate::projection::personal::{
    BasisCheck, IndividualRanking, PersonIndicators, PersonReviews, PersonalScorecard, ViewStanding, WeekStatus,
    WeeklyRecords,
};
use crate::projection::AsOf;
use crate::service::people::{Grades, ResultUseFilter, ResultUses};
use crate::service::queries::{parse_as_of, QueryError, ReadTarget, Reader, UnitListing, View};
use crate::site::pages::{self, figures, select, tier_badge, Choice, Figure, Place, Scripts, Visitor};
use crate::site::request::{as_of_input, blocking_page, parse, standing_text, QueryString, Refusal};
use crate::site::text::{PeopleText, Text};
use crate::site::SiteState;

fn may_read(site: &SiteState, reader: &Reader, target: &ReadTarget) -> Result<(), Refusal> {
    site.app.read_models.may_read(reader, target).map_err(Refusal::from)
}

/// The year of the ledger's clock, in its time zone (the year a page opens on when none is asked).
fn this_year(site: &SiteState) -> i32 {
    let today = Date::of_instant(site.app.service.clock().now(), site.app.read_models.time_zone());
    today.to_string()[..4].parse().expect("a date begins with its year")
}

fn year_period(year: i32) -> Result<PeriodId, Refusal> {
    PeriodId::parse(&year.to_string()).map_err(|message| Refusal::Invalid(format!("period: {message}")))
}

/// The year, its halves and its quarters, for the years from two before `year` to `last`, `selected`
/// marked (and added when it is not among them).
fn period_choices(first: i32, last: i32, selected: PeriodId, top: &Text) -> Vec<Choice> {
    let t = top.people;
    let mut choices = Vec::new();
    for year in (first..=last).rev() {
        for (suffix, label) in [
            ("", format!("{year}{}", top.marks.paren(t.period_year))),
            ("-H1", format!("{year}-H1")),
            ("-H2", format!("{year}-H2")),
            ("-Q1", format!("{year}-Q1")),
            ("-Q2", format!("{year}-Q2")),
            ("-Q3", format!("{year}-Q3")),
            ("-Q4", format!("{year}-Q4")),
        ] {
            let value = format!("{year}{suffix}");
            let chosen = PeriodId::parse(&value).is_ok_and(|period| period == selected);
            choices.push(Choice { value, label, selected: chosen });
        }
    }
    if !choices.iter().any(|choice| choice.selected) {
        choices.push(Choice { value: selected.to_string(), label: selected.to_string(), selected: true });
    }
    choices
}

fn points(value: Option<Points>) -> String {
    value.map(|points| points.to_string()).unwrap_or_default()
}

fn standing_words(t: &PeopleText, standing: Option<&ViewStanding>) -> String {
    match standing {
        Some(standing) => t
            .standing
            .replace("{rank}", &standing.rank.to_string())
            .replace("{tier}", &standing.tier.to_string())
            .replace("{score}", &standing.score.to_string()),
        None => t.not_ranked.to_owned(),
    }
}

/// A basis check in words, with the key tests read (`holds`, `changed`, `changed_back`).
fn basis_state(t: &PeopleText, basis: &BasisCheck) -> (&'static str, &'static str) {
    match (basis.basis_changed, basis.holds_now) {
        (false, _) => ("holds", t.basis_holds),
        (true, false) => ("changed", t.basis_changed),
        (true, true) => ("changed_back", t.basis_changed_back),
    }
}

/// An event that changed a basis, in words: its number, its type, who recorded it and when.
struct ChangeLine {
    seq: u64,
    event: String,
    before: String,
    after: String,
}

fn change_lines(site: &SiteState, top: &Text, basis: &BasisCheck) -> Vec<ChangeLine> {
    let t = top.people;
    basis
        .changes
        .iter()
        .map(|change| ChangeLine {
            seq: change.event.seq,
            event: event_words(site, top, &change.event),
            before: standing_words(t, change.before.as_ref()),
            after: standing_words(t, change.after.as_ref()),
        })
        .collect()
}

fn event_words(site: &SiteState, t: &Text, event: &EventRef) -> String {
    let zone = site.app.read_models.time_zone();
    let kind = t.event_type_name(&event.event_type).unwrap_or(event.event_type.as_str());
    let who = format!("{}{}{}", event.actor_id, t.marks.comma, zone.local_minute(event.recorded_at));
    format!("{kind}{}", t.marks.paren(who))
}

// ---- A person's page -------------------------------------------------------------------------

/// The person page's question: both parts may be left out (a `person` token's own person; the latest
/// year with a score).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct PersonQuery {
    person: Option<String>,
    period: Option<String>,
    as_of: Option<String>,
}

struct IndicatorRow {
    indicator: String,
    name: String,
    scheme: String,
    points_max: String,
    lead_section: String,
    carried: String,
}

struct QuarterRow {
    quarter: String,
    section: String,
    section_final: String,
    section_scheme: String,
    review: String,
    indicators: String,
    weights: String,
    weighted: String,
    missing: usize,
    deduction: String,
    score: String,
    provisional: bool,
}

struct IndicatorScoreRow {
    key: String,
    quarter: String,
    period: String,
    indicator: String,
    name: String,
    scheme: String,
    points_max: String,
    score: String,
    unassessed: bool,
}

struct WeekRow {
    week: String,
    days: String,
    status: &'static str,
    status_words: &'static str,
    unit: String,
    text: String,
    indicators: String,
    comments: Vec<(String, String)>,
    seq: Option<u64>,
}

struct ReviewRow {
    seq: u64,
    quarter: String,
    leader: String,
    score: String,
    counts: bool,
    comment: String,
}

struct PersonFigures {
    heading: String,
    erased: bool,
    standing: String,
    figures: Vec<Figure>,
    rules: String,
    indicators: Vec<IndicatorRow>,
    quarters: Vec<QuarterRow>,
    indicator_scores: Vec<IndicatorScoreRow>,
    weeks: Vec<WeekRow>,
    judged_on: String,
    filed: u32,
    missing: usize,
    review_scores: Vec<(String, String)>,
    reviews: Vec<ReviewRow>,
}

struct PersonPage {
    persons: Vec<Choice>,
    periods: Vec<Choice>,
    /// The day asked about (`YYYY-MM-DD`), blank for now.
    as_of: String,
    body: Option<Box<PersonFigures>>,
}

/// The persons a reader may choose from: a `person` token's own; otherwise the persons of the
/// reader's unit (the top unit's for the local read token), as `/v1/persons` lists them.
fn person_choices(
    site: &SiteState,
    reader: &Reader,
    own: Option<&PersonId>,
    selected: Option<&PersonId>,
) -> Result<Vec<Choice>, Refusal> {
    let read_models = &site.app.read_models;
    let mut choices = vec![Choice { value: String::new(), label: "—".to_owned(), selected: selected.is_none() }];
    let unit = match reader {
        Reader::Token(actor) if actor.role == crate::domain::Role::Person => None,
        Reader::Token(actor) => Some(actor.unit.clone()),
        Reader::Local => {
            read_models.units(AsOf::Latest)?.value.units.into_iter().find(|u| u.parent.is_none()).map(|u| u.unit)
        }
    };
    match unit {
        None => choices.extend(own.map(|person| Choice {
            value: person.to_string(),
            label: person.to_string(),
            selected: Some(person) == selected,
        })),
        Some(unit) => {
            let persons = read_models.persons(reader, &unit, AsOf::Latest, site.app.service.person_keys())?.value;
            choices.extend(persons.persons.iter().map(|listing| Choice {
                value: listing.person.to_string(),
                label: format!("{} {}", listing.person, listing.name),
                selected: Some(&listing.person) == selected,
            }));
        }
    }
    if let Some(person) = selected.filter(|person| !choices.iter().any(|choice| choice.value == person.as_str())) {
        choices.push(Choice { value: person.to_string(), label: person.to_string(), selected: true });
    }
    Ok(choices)
}

fn resolve_person(
    site: &SiteState,
    reader: &Reader,
    query: &PersonQuery,
    top: &Text,
) -> Result<(StatusCode, PersonPage), Refusal> {
    let read_models = &site.app.read_models;
    let keys = site.app.service.person_keys();
    let asked = parse(query.person.as_deref(), |text| PersonId::new(text), "person")?;
    let period = parse(query.period.as_deref(), PeriodId::parse, "period")?;
    let as_of_asked = parse(query.as_of.as_deref(), parse_as_of, "as_of")?.unwrap_or(AsOf::Latest);
    let as_of_text = as_of_input(as_of_asked);
    let own = read_models.person_of_reader(reader)?;
    let is_person = matches!(reader, Reader::Token(actor) if actor.role == crate::domain::Role::Person);
    let person = match (asked, is_person) {
        (Some(person), _) => Some(person),
        (None, true) => own.clone(),
        (None, false) => None,
    };
    let year = this_year(site);
    let Some(person) = person else {
        // No one chosen yet: the reader's persons to choose from (refused to a role that reads none).
        let persons = person_choices(site, reader, own.as_ref(), None)?;
        // The period left blank unless asked: the person's latest year with a score, once chosen.
        let mut periods = period_choices(year - 2, year, period.unwrap_or(year_period(year)?), top);
        if period.is_none() {
            periods.iter_mut().for_each(|choice| choice.selected = false);
            periods.insert(0, Choice { value: String::new(), label: "—".to_owned(), selected: true });
        }
        return Ok((StatusCode::OK, PersonPage { persons, periods, as_of: as_of_text, body: None }));
    };
    // Judged first, as the API judges its reads: nothing is read about a person the reader may not see.
    may_read(site, reader, &ReadTarget::Person { field: "person", person: person.clone() })?;
    let as_of = pinned(site, as_of_asked)?;
    let view = View::from(as_of);
    let period = match period {
        Some(period) => period,
        // The latest of this year and the last that gives the person a score.
        None => {
            let this = year_period(year)?;
            let scored =
                read_models.person_scorecard(&person, this, view, keys).is_ok_and(|card| card.value.score.is_some());
            if scored {
                this
            } else {
                year_period(year - 1)?
            }
        }
    };
    let scorecard = read_models.person_scorecard(&person, period, view, keys)?;
    let indicators = read_models.person_indicators(&person, period, as_of)?.value;
    let weekly = read_models.weekly_records(&person, period, as_of, keys)?.value;
    let reviews = read_models.person_reviews(&person, period, as_of, keys)?.value;
    let zone = read_models.time_zone();
    let persons = person_choices(site, reader, own.as_ref(), Some(&person))?;
    let periods = period_choices(year.min(period.year()) - 2, year.max(period.year()), period, top);
    let standing = standing_text(top, scorecard.as_of_seq, scorecard.as_of_instant, zone);
    let body = person_figures(top, &scorecard.value, &indicators, &weekly, &reviews, standing);
    Ok((StatusCode::OK, PersonPage { persons, periods, as_of: as_of_text, body: Some(Box::new(body)) }))
}

fn person_figures(
    top: &Text,
    card: &PersonalScorecard,
    indicators: &PersonIndicators,
    weekly: &WeeklyRecords,
    reviews: &PersonReviews,
    standing: String,
) -> PersonFigures {
    let t = top.people;
    let figure = |key, label, value: String, note: Option<String>| Figure { key, label, value, note };
    let score_label = if card.period.kind() == crate::domain::PeriodKind::Year { t.annual_score } else { t.score };
    let mut list =
        vec![figure("score", score_label, points(card.score), card.score.is_none().then(|| t.no_score.to_owned()))];
    if let Some(place) = &card.place {
        let rank = place.rank.map(|rank| rank.to_string()).unwrap_or_else(|| t.not_ranked.to_owned());
        list.push(figure(
            "rank",
            t.individual_rank,
            rank,
            Some(format!(
                "{}{}{}{}",
                t.rank_of.0,
                place.participants,
                t.rank_of.1,
                top.marks.paren(format!("{} {}", place.county, place.year))
            )),
        ));
        list.push(figure("participants", t.participants, place.participants.to_string(), None));
        let tier = place.tier.map(|tier| format!("{}{tier}{}", top.tier_n.0, top.tier_n.1)).unwrap_or_default();
        list.push(figure("tier", top.tier, tier, None));
    }
    if card.period.kind() == crate::domain::PeriodKind::Year {
        let grade = card.grade.map(|grade| t.grade_name(grade).to_owned()).unwrap_or_else(|| t.no_grade.to_owned());
        list.push(figure("grade", t.grade, grade, None));
    }
    let weights = &card.rules.weights;
    let rules = format!(
        "{}{} {}/{}/{}{}{} {}",
        t.rules_note,
        t.weights,
        weights.section,
        weights.review,
        weights.indicators,
        top.marks.semicolon,
        t.missing_deduction,
        card.rules.missing_week_deduction
    );
    let part = |weight: Option<u32>| weight.map(|weight| weight.to_string()).unwrap_or_else(|| "—".to_owned());
    let quarters = card
        .quarters
        .iter()
        .map(|quarter| QuarterRow {
            quarter: quarter.quarter.to_string(),
            section: quarter.section.as_ref().map(UnitCode::to_string).unwrap_or_default(),
            section_final: quarter.section_final.as_ref().map(|f| f.final_score.to_string()).unwrap_or_default(),
            section_scheme: quarter.section_final.as_ref().map(|f| f.scheme.to_string()).unwrap_or_default(),
            review: points(quarter.review_score),
            indicators: points(quarter.indicator_score),
            weights: format!(
                "{}/{}/{}",
                part(quarter.weights_used.section),
                part(quarter.weights_used.review),
                part(quarter.weights_used.indicators)
            ),
            weighted: points(quarter.weighted),
            missing: quarter.missing_weeks.len(),
            deduction: quarter.missing_week_deduction.to_string(),
            score: points(quarter.score),
            provisional: !quarter.provisional_periods.is_empty(),
        })
        .collect();
    let indicator_scores = card
        .quarters
        .iter()
        .flat_map(|quarter| {
            quarter.indicators.iter().map(move |line| IndicatorScoreRow {
                key: format!("{}/{}/{}", quarter.quarter, line.period, line.indicator),
                quarter: quarter.quarter.to_string(),
                period: line.period.to_string(),
                indicator: line.indicator.to_string(),
                name: line.name.clone(),
                scheme: line
                    .scheme
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| t.personal_indicator.to_owned()),
                points_max: line.points_max.to_string(),
                score: line.score.to_string(),
                unassessed: line.unassessed,
            })
        })
        .collect();
    let indicator_rows = indicators
        .indicators
        .iter()
        .map(|line| IndicatorRow {
            indicator: line.indicator.to_string(),
            name: line.name.clone(),
            scheme: line.scheme.as_ref().map(ToString::to_string).unwrap_or_else(|| t.personal_indicator.to_owned()),
            points_max: line.points_max.to_string(),
            lead_section: line.lead_section.as_ref().map(ToString::to_string).unwrap_or_default(),
            carried: if line.from == line.to { line.from.to_string() } else { format!("{}–{}", line.from, line.to) },
        })
        .collect();
    let weeks = weekly
        .weeks
        .iter()
        .map(|week| {
            let (status, status_words) = match week.status {
                WeekStatus::Filed => ("filed", t.status_filed),
                WeekStatus::Missing => ("missing", t.status_missing),
                WeekStatus::Open => ("open", t.status_open),
                WeekStatus::NotInService => ("not_in_service", t.status_not_in_service),
            };
            WeekRow {
                week: week.week.to_string(),
                days: format!("{}–{}", week.monday, week.sunday),
                status,
                status_words,
                unit: week.unit.as_ref().map(ToString::to_string).unwrap_or_default(),
                text: week.text.as_ref().map(ToString::to_string).unwrap_or_default(),
                indicators: week
                    .indicators
                    .iter()
                    .map(|indicator| match indicator {
                        IndicatorRef::Scheme { indicator, .. } | IndicatorRef::Personal { indicator } => {
                            indicator.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(top.marks.list),
                comments: week.comments.iter().map(|c| (c.leader.clone(), c.comment.to_string())).collect(),
                seq: week.event.as_ref().map(|event| event.seq),
            }
        })
        .collect();
    let review_scores =
        reviews.quarters.iter().map(|quarter| (quarter.quarter.to_string(), points(quarter.review_score))).collect();
    let review_rows = reviews
        .quarters
        .iter()
        .flat_map(|quarter| {
            quarter.reviews.iter().map(move |review| ReviewRow {
                seq: review.event.seq,
                quarter: quarter.quarter.to_string(),
                leader: review.leader.clone(),
                score: review.score.to_string(),
                counts: review.counts,
                comment: review.comment.to_string(),
            })
        })
        .collect();
    PersonFigures {
        heading: format!("{} {} · {}", card.person, card.name, card.period),
        erased: card.erased,
        standing,
        figures: list,
        rules,
        indicators: indicator_rows,
        quarters,
        indicator_scores,
        weeks,
        judged_on: weekly.today.to_string(),
        filed: weekly.filed,
        missing: weekly.missing.len(),
        review_scores,
        reviews: review_rows,
    }
}

/// `GET /person`: a person's page for a signed-in reader, or the sign-in page.
pub async fn person_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<PersonQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(site, &headers, &uri, query, resolve_person, render_person).await
}

fn render_person(top: &Text, page: &PersonPage, visitor: &Visitor<'_>) -> String {
    let t = top.people;
    let content = html! {
        h1 { (t.person_title) }
        section.card {
            form.pickers method="get" action="/person" data-autosubmit {
                label { (t.person_label) (select("person", &page.persons)) }
                label { (top.period_label) (select("period", &page.periods)) }
                label { (top.as_of_label)
                    input type="date" name="as_of" value=(page.as_of) title=(top.as_of_hint);
                }
                button type="submit" { (top.show_button) }
            }
        }
        @match &page.body {
            None => section.card { p.muted { (t.choose_person) } },
            Some(body) => (person_body(top, body)),
        }
    };
    pages::frame(top, t.person_title, Some(visitor), Place::Person, Scripts::App, content)
}

fn person_body(top: &Text, body: &PersonFigures) -> Markup {
    let t = top.people;
    html! {
        section.card #person {
            h2 {
                (body.heading)
                @if body.erased { " " span.badge data-erased="true" { (t.erased_badge) } }
            }
            p.muted { (body.standing) }
            (figures(&body.figures))
            p.muted { (body.rules) }
        }
        section.card #indicators {
            h2 { (t.indicators_title) }
            @if body.indicators.is_empty() {
                p.muted { (t.no_indicators) }
            } @else {
                table.ranking {
                    thead { tr {
                        th { (top.indicator) } th { (top.indicator_name) } th { (top.scheme_label) }
                        th.num { (t.points_max) } th { (t.lead_section) } th { (t.carried) }
                    } }
                    tbody {
                        @for row in &body.indicators {
                            tr data-carried=(row.indicator) {
                                td { code { (row.indicator) } }
                                td { (row.name) }
                                td { (row.scheme) }
                                td.num data-points-max { (row.points_max) }
                                td { (row.lead_section) }
                                td { (row.carried) }
                            }
                        }
                    }
                }
            }
        }
        section.card #scorecard {
            h2 { (t.scorecard_title) }
            @if body.quarters.is_empty() {
                p.muted { (t.no_quarters) }
            } @else {
                div.scroll { table.ranking {
                    thead { tr {
                        th { (t.quarter) } th { (t.section) } th.num { (t.section_final) }
                        th.num { (t.review_score) } th.num { (t.indicator_score) } th { (t.weights) }
                        th.num { (t.weighted) } th.num { (t.missing_weeks) } th.num { (t.missing_deduction) }
                        th.num { (t.quarter_score) }
                    } }
                    tbody {
                        @for row in &body.quarters {
                            tr data-quarter=(row.quarter) {
                                td {
                                    (row.quarter)
                                    @if row.provisional { " " span.badge { (top.provisional_badge) } }
                                }
                                td { (row.section) }
                                td.num data-section-final title=(row.section_scheme) { (row.section_final) }
                                td.num data-review { (row.review) }
                                td.num data-indicators { (row.indicators) }
                                td data-weights { (row.weights) }
                                td.num data-weighted { (row.weighted) }
                                td.num data-missing { (row.missing) }
                                td.num data-deduction { (row.deduction) }
                                td.num data-score { (row.score) }
                            }
                        }
                    }
                } }
                p.muted { (t.weights_note) }
                @if !body.indicator_scores.is_empty() {
                    h3 { (t.indicator_lines_title) }
                    table.ranking {
                        thead { tr {
                            th { (t.quarter) } th { (top.period_label) } th { (top.indicator) }
                            th { (top.indicator_name) } th { (top.scheme_label) } th.num { (t.points_max) }
                            th.num { (t.score) }
                        } }
                        tbody {
                            @for row in &body.indicator_scores {
                                tr data-line=(row.key) {
                                    td { (row.quarter) } td { (row.period) } td { code { (row.indicator) } }
                                    td { (row.name) } td { (row.scheme) } td.num { (row.points_max) }
                                    td.num data-line-score {
                                        (row.score)
                                        @if row.unassessed { " " span.badge { (t.unassessed) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card #weekly {
            h2 { (t.weekly_title) }
            p {
                (t.filed) (top.marks.colon) span data-figure="filed" { (body.filed) } (top.marks.gap)
                (t.missing) (top.marks.colon) span data-figure="missing" { (body.missing) } (top.marks.gap)
                span.muted { (t.judged_on) (body.judged_on) }
            }
            @if body.weeks.is_empty() {
                p.muted { (t.no_weeks) }
            } @else {
                div.scroll { table.ranking.weeks {
                    thead { tr {
                        th { (t.week) } th { (t.days) } th { (t.status) } th { (top.unit_label) }
                        th { (t.record_text) } th { (top.indicator) } th { (t.comments) } th.num { (top.event) }
                    } }
                    tbody {
                        @for week in &body.weeks {
                            tr data-week=(week.week) data-status=(week.status) class=[(week.status == "missing").then_some("missing")] {
                                td { (week.week) }
                                td { (week.days) }
                                td { @if week.status == "missing" { span.veto { (week.status_words) } } @else { (week.status_words) } }
                                td { (week.unit) }
                                td.reason data-text { (week.text) }
                                td { (week.indicators) }
                                td.reason {
                                    @for (leader, comment) in &week.comments {
                                        div.comment { span.muted { (leader) (top.marks.colon) } (comment) }
                                    }
                                }
                                td.num { @if let Some(seq) = week.seq { (seq) } }
                            }
                        }
                    }
                } }
            }
        }
        section.card #reviews {
            h2 { (t.reviews_title) }
            @if body.reviews.is_empty() && body.review_scores.iter().all(|(_, score)| score.is_empty()) {
                p.muted { (t.no_reviews) }
            } @else {
                dl.figures {
                    @for (quarter, score) in &body.review_scores {
                        div { dt { (quarter) " " (t.review_score) } dd data-review-score=(quarter) { (score) } }
                    }
                }
                table.ranking {
                    thead { tr {
                        th { (t.quarter) } th { (t.reviewer) } th.num { (t.score) } th { (t.review_counts) }
                        th { (t.comment) } th.num { (top.event) }
                    } }
                    tbody {
                        @for review in &body.reviews {
                            tr data-review=(review.seq) {
                                td { (review.quarter) }
                                td { (review.leader) }
                                td.num data-score { (review.score) }
                                td data-counts=(review.counts) {
                                    @if review.counts { (t.review_counts) } @else { span.muted { (t.review_replaced) } }
                                }
                                td.reason { (review.comment) }
                                td.num { (review.seq) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---- The grade register ----------------------------------------------------------------------

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct GradesQuery {
    unit: Option<String>,
    period: Option<String>,
    as_of: Option<String>,
}

struct GradeRow {
    person: String,
    name: String,
    erased: bool,
    link: String,
    section: String,
    rank: String,
    tier: Option<u32>,
    annual_score: String,
    grade: String,
    reason: String,
    replaced: usize,
    basis: Option<(&'static str, &'static str)>,
    then: String,
    now: String,
    changes: Vec<ChangeLine>,
}

struct GradesFigures {
    heading: String,
    standing: String,
    figures: Vec<Figure>,
    rows: Vec<GradeRow>,
}

struct GradesPage {
    counties: Vec<Choice>,
    years: Vec<Choice>,
    as_of: String,
    body: GradesFigures,
}

/// The counties whose individual ranking the reader may read.
fn readable_counties<'u>(site: &SiteState, reader: &Reader, units: &'u [UnitListing]) -> Vec<&'u UnitListing> {
    units
        .iter()
        .filter(|listing| listing.level == UnitLevel::County)
        .filter(|listing| may_read(site, reader, &ReadTarget::IndividualRanking { unit: listing.unit.clone() }).is_ok())
        .collect()
}

fn resolve_grades(site: &SiteState, reader: &Reader, query: &GradesQuery, top: &Text) -> Result<GradesPage, Refusal> {
    let read_models = &site.app.read_models;
    let keys = site.app.service.person_keys();
    let asked = parse(query.unit.as_deref(), |text| UnitCode::new(text), "unit")?;
    let period = parse(query.period.as_deref(), PeriodId::parse, "period")?;
    let as_of_asked = parse(query.as_of.as_deref(), parse_as_of, "as_of")?.unwrap_or(AsOf::Latest);
    let units = read_models.units(AsOf::Latest)?.value.units;
    let readable = readable_counties(site, reader, &units);
    let county = match asked {
        Some(unit) => unit,
        None => {
            // The reader's own county (a section's: its county), else the first it may read.
            let own = match reader {
                Reader::Token(actor) => {
                    units.iter().find(|listing| listing.unit == actor.unit).and_then(|listing| match listing.level {
                        UnitLevel::County => Some(listing.unit.clone()),
                        UnitLevel::Section | UnitLevel::Branch => listing.parent.clone(),
                        _ => None,
                    })
                }
                Reader::Local => None,
            };
            match own.or_else(|| readable.first().map(|listing| listing.unit.clone())) {
                Some(county) => county,
                None => {
                    // Nothing to choose from: the refusal the reader's own unit gets.
                    let unit = match reader {
                        Reader::Token(actor) => actor.unit.clone(),
                        Reader::Local => return Err(Refusal::NotFound("unit: no county is registered".to_owned())),
                    };
                    return Err(may_read(site, reader, &ReadTarget::IndividualRanking { unit })
                        .err()
                        .unwrap_or_else(|| Refusal::NotFound("unit: no county is registered".to_owned())));
                }
            }
        }
    };
    // Judged first, as the API judges its reads.
    may_read(site, reader, &ReadTarget::IndividualRanking { unit: county.clone() })?;
    let as_of = pinned(site, as_of_asked)?;
    let year = this_year(site);
    let period = match period {
        Some(period) => period,
        None => {
            let this = year_period(year)?;
            let graded = read_models.grades(&county, this, as_of, keys).is_ok_and(|g| !g.value.grades.is_empty());
            if graded {
                this
            } else {
                year_period(year - 1)?
            }
        }
    };
    let ranking = read_models.individual_ranking(&county, period, View::from(as_of), keys)?;
    let grades = read_models.grades(&county, period, as_of, keys)?;
    let zone = read_models.time_zone();
    let body = grades_figures(
        site,
        top,
        &ranking.value,
        &grades.value,
        standing_text(top, grades.as_of_seq, grades.as_of_instant, zone),
        &as_of_input(as_of_asked),
    );
    let counties = readable
        .iter()
        .map(|listing| Choice {
            value: listing.unit.to_string(),
            label: format!("{} {}", listing.unit, listing.name),
            selected: listing.unit == county,
        })
        .collect();
    let shown = period.year();
    let years = (shown.min(year) - 3..=shown.max(year))
        .rev()
        .map(|y| Choice {
            value: y.to_string(),
            label: y.to_string(),
            selected: y == shown && period.kind() == crate::domain::PeriodKind::Year,
        })
        .collect();
    Ok(GradesPage { counties, years, as_of: as_of_input(as_of_asked), body })
}

fn grades_figures(
    site: &SiteState,
    top: &Text,
    ranking: &IndividualRanking,
    grades: &Grades,
    standing: String,
    as_of: &str,
) -> GradesFigures {
    let t = top.people;
    let figure = |key, label, value: String| Figure { key, label, value, note: None };
    let figures = vec![
        figure("participants", t.participants, ranking.participants.to_string()),
        figure("ranked", t.ranked, ranking.standings.len().to_string()),
        figure("excellent_quota", t.excellent_quota, grades.excellent_quota.to_string()),
        figure("excellent_graded", t.excellent_graded, grades.excellent_graded.to_string()),
        figure("basis_changed", t.basis_changed_count, grades.basis_changed.to_string()),
    ];
    let grade_of = |person: &PersonId| grades.grades.iter().find(|line| &line.person == person);
    let link = |person: &PersonId| {
        format!(
            "/person?{}",
            QueryString::new()
                .with("person", person.as_str())
                .with("period", grades.year.to_string())
                .with("as_of", as_of)
        )
    };
    let graded_row = |row: &mut GradeRow, person: &PersonId| {
        if let Some(line) = grade_of(person) {
            row.grade = t.grade_name(line.grade).to_owned();
            row.reason = line.reason.as_ref().map(ToString::to_string).unwrap_or_default();
            row.replaced = line.replaced;
            row.basis = Some(basis_state(t, &line.basis));
            row.then = standing_words(t, line.basis.at_read.as_ref());
            row.now = standing_words(t, line.basis.now.as_ref());
            row.changes = change_lines(site, top, &line.basis);
        }
    };
    let mut rows = Vec::new();
    for line in &ranking.standings {
        let mut row = GradeRow {
            person: line.person.to_string(),
            name: line.name.to_string(),
            erased: line.erased,
            link: link(&line.person),
            section: line.section.as_ref().map(ToString::to_string).unwrap_or_default(),
            rank: line.rank.to_string(),
            tier: Some(line.tier),
            annual_score: line.annual_score.to_string(),
            grade: String::new(),
            reason: String::new(),
            replaced: 0,
            basis: None,
            then: String::new(),
            now: String::new(),
            changes: Vec::new(),
        };
        graded_row(&mut row, &line.person);
        rows.push(row);
    }
    // Graded persons the ranking does not rank (unranked participants), after the ranked ones.
    for line in grades.grades.iter().filter(|line| ranking.standing(&line.person).is_none()) {
        let mut row = GradeRow {
            person: line.person.to_string(),
            name: line.name.to_string(),
            erased: line.erased,
            link: link(&line.person),
            section: String::new(),
            rank: t.unranked.to_owned(),
            tier: None,
            annual_score: String::new(),
            grade: String::new(),
            reason: String::new(),
            replaced: 0,
            basis: None,
            then: String::new(),
            now: String::new(),
            changes: Vec::new(),
        };
        graded_row(&mut row, &line.person);
        rows.push(row);
    }
    for person in ranking.unranked.iter().filter(|person| grade_of(person).is_none()) {
        rows.push(GradeRow {
            person: person.to_string(),
            name: String::new(),
            erased: false,
            link: link(person),
            section: String::new(),
            rank: t.unranked.to_owned(),
            tier: None,
            annual_score: String::new(),
            grade: String::new(),
            reason: String::new(),
            replaced: 0,
            basis: None,
            then: String::new(),
            now: String::new(),
            changes: Vec::new(),
        });
    }
    GradesFigures { heading: format!("{} · {}", ranking.county, ranking.year), standing, figures, rows }
}

/// `GET /grades`: a county's individual ranking and annual grades of a year.
pub async fn grades_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<GradesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(
        site,
        &headers,
        &uri,
        query,
        |site, reader, query, t| resolve_grades(site, reader, query, t).map(|page| (StatusCode::OK, page)),
        render_grades,
    )
    .await
}

fn changes_list(top: &Text, changes: &[ChangeLine]) -> Markup {
    let t = top.people;
    html! {
        @if !changes.is_empty() {
            ul.moves {
                @for change in changes {
                    li data-change=(change.seq) {
                        (t.event_seq.replace("{}", &change.seq.to_string())) " " (change.event) (top.marks.colon)
                        (change.before) " → " (change.after)
                    }
                }
            }
        }
    }
}

fn render_grades(top: &Text, page: &GradesPage, visitor: &Visitor<'_>) -> String {
    let t = top.people;
    let body = &page.body;
    let content = html! {
        h1 { (t.grades_title) }
        section.card {
            form.pickers method="get" action="/grades" data-autosubmit {
                label { (t.county_label) (select("unit", &page.counties)) }
                label { (t.year_label) (select("period", &page.years)) }
                label { (top.as_of_label)
                    input type="date" name="as_of" value=(page.as_of) title=(top.as_of_hint);
                }
                button type="submit" { (top.show_button) }
            }
        }
        section.card #grades {
            h2 { (body.heading) }
            p.muted { (body.standing) }
            (figures(&body.figures))
            @if body.rows.is_empty() {
                p.muted { (t.no_participants) }
            } @else {
                div.scroll { table.ranking.grades {
                    thead { tr {
                        th.num { (top.rank) } th { (top.tier) } th { (t.person) } th { (t.name) } th { (t.section) }
                        th.num { (t.annual_score) } th { (t.grade) } th { (t.reason) } th { (t.basis) }
                    } }
                    tbody {
                        @for row in &body.rows {
                            tr data-person=(row.person) data-basis=[row.basis.map(|(key, _)| key)]
                                class=[row.basis.is_some_and(|(key, _)| key != "holds").then_some("changed")] {
                                td.num data-rank { (row.rank) }
                                td { @if let Some(tier) = row.tier { (tier_badge(top, tier)) } }
                                td { a href=(row.link) { code { (row.person) } } }
                                td {
                                    (row.name)
                                    @if row.erased { " " span.badge data-erased="true" { (t.erased_badge) } }
                                }
                                td { (row.section) }
                                td.num data-score { (row.annual_score) }
                                td data-grade { (row.grade) }
                                td.reason data-reason { (row.reason) }
                                td {
                                    @if let Some((key, words)) = row.basis {
                                        @if key == "holds" { (words) } @else { span.veto { (words) } }
                                        br;
                                        span.muted { (t.basis_then) (top.marks.colon) (row.then) } br; span.muted { (t.basis_now) (top.marks.colon) (row.now) }
                                        @if row.replaced > 0 { br; span.muted { (t.replaced_grades) (row.replaced) } }
                                        (changes_list(top, &row.changes))
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    pages::frame(top, t.grades_title, Some(visitor), Place::Grades, Scripts::App, content)
}

// ---- The uses of results ---------------------------------------------------------------------

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ResultUsesQuery {
    unit: Option<String>,
    changed: Option<String>,
    as_of: Option<String>,
}

struct UseRow {
    id: String,
    kind: &'static str,
    subject: String,
    view: String,
    read_seq: u64,
    read_hash: String,
    event_seq: u64,
    recorded: String,
    committee: String,
    note: String,
    basis: (&'static str, &'static str),
    then: String,
    now: String,
    changes: Vec<ChangeLine>,
}

struct UsesPage {
    units: Vec<Choice>,
    changed_only: bool,
    as_of: String,
    standing: String,
    figures: Vec<Figure>,
    rows: Vec<UseRow>,
}

fn kind_words(t: &PeopleText, kind: ResultUseKind) -> &'static str {
    match kind {
        ResultUseKind::PraiseNotice => t.kind_praise_notice,
        ResultUseKind::CriticismNotice => t.kind_criticism_notice,
        ResultUseKind::Honour => t.kind_honour,
        ResultUseKind::PromotionPriority => t.kind_promotion_priority,
        ResultUseKind::TrainingPriority => t.kind_training_priority,
    }
}

fn view_words(t: &PeopleText, view: &ResultView) -> String {
    match view {
        ResultView::Ranking { scheme, period, function_code: None } => {
            t.view_ranking.replace("{scheme}", scheme.as_str()).replace("{period}", &period.to_string())
        }
        ResultView::Ranking { scheme, period, function_code: Some(code) } => t
            .view_section_ranking
            .replace("{scheme}", scheme.as_str())
            .replace("{period}", &period.to_string())
            .replace("{function}", &code.to_string()),
        ResultView::IndividualRanking { unit, year } => {
            t.view_individual_ranking.replace("{unit}", unit.as_str()).replace("{year}", &year.to_string())
        }
    }
}

fn resolve_uses(site: &SiteState, reader: &Reader, query: &ResultUsesQuery, top: &Text) -> Result<UsesPage, Refusal> {
    let t = top.people;
    let read_models = &site.app.read_models;
    let unit = parse(query.unit.as_deref(), |text| UnitCode::new(text), "unit")?;
    let changed_only = match query.changed.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(other) => return Err(Refusal::Invalid(format!("changed: expected true or false, got {other:?}"))),
    };
    // Judged first, with the target the API's route declares.
    let as_of = parse(query.as_of.as_deref(), parse_as_of, "as_of")?.unwrap_or(AsOf::Latest);
    may_read(site, reader, &ReadTarget::ResultUses { unit: unit.clone() })?;
    let filter = ResultUseFilter { unit: unit.clone(), person: None, changed_only };
    let answer = read_models.result_uses(reader, &filter, as_of)?;
    let zone = read_models.time_zone();
    let uses: &ResultUses = &answer.value;
    let rows = uses
        .uses
        .iter()
        .map(|line| UseRow {
            id: line.result_use_id.to_string(),
            kind: kind_words(t, line.kind),
            subject: match &line.subject {
                ResultSubject::Unit { unit } => format!("{} {unit}", t.subject_unit),
                ResultSubject::Person { person } => format!("{} {person}", t.subject_person),
            },
            view: view_words(t, &line.view),
            read_seq: line.read_at.seq,
            read_hash: line.read_at.hash.to_string(),
            event_seq: line.event.seq,
            recorded: zone.local_minute(line.event.recorded_at).to_string(),
            committee: line.committee.to_string(),
            note: line.note.clone(),
            basis: basis_state(t, &line.basis),
            then: standing_words(t, line.basis.at_read.as_ref()),
            now: standing_words(t, line.basis.now.as_ref()),
            changes: change_lines(site, top, &line.basis),
        })
        .collect();
    let figure = |key, label, value: String| Figure { key, label, value, note: None };
    let figures = vec![
        figure("uses", t.uses_count, uses.uses.len().to_string()),
        figure("basis_changed", t.basis_changed_count, uses.basis_changed.to_string()),
    ];
    let units = read_models.units(AsOf::Latest)?.value.units;
    let mut choices = vec![Choice { value: String::new(), label: t.unit_all.to_owned(), selected: unit.is_none() }];
    choices.extend(
        units
            .iter()
            .filter(|listing| {
                Some(&listing.unit) == unit.as_ref()
                    || may_read(site, reader, &ReadTarget::ResultUses { unit: Some(listing.unit.clone()) }).is_ok()
            })
            .map(|listing| Choice {
                value: listing.unit.to_string(),
                label: format!("{} {}", listing.unit, listing.name),
                selected: Some(&listing.unit) == unit.as_ref(),
            }),
    );
    Ok(UsesPage {
        units: choices,
        changed_only,
        as_of: as_of_input(as_of),
        standing: standing_text(top, answer.as_of_seq, answer.as_of_instant, zone),
        figures,
        rows,
    })
}

/// `GET /result-uses`: the uses of results the reader's scope holds.
pub async fn result_uses_page(
    State(site): State<SiteState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<ResultUsesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking_page(
        site,
        &headers,
        &uri,
        query,
        |site, reader, query, t| resolve_uses(site, reader, query, t).map(|page| (StatusCode::OK, page)),
        render_uses,
    )
    .await
}

fn render_uses(top: &Text, page: &UsesPage, visitor: &Visitor<'_>) -> String {
    let t = top.people;
    let content = html! {
        h1 { (t.result_uses_title) }
        section.card {
            p.muted { (t.result_uses_intro) }
            form.pickers method="get" action="/result-uses" data-autosubmit {
                label { (top.unit_label) (select("unit", &page.units)) }
                label { (t.changed_only)
                    input type="checkbox" name="changed" value="true" checked[page.changed_only];
                }
                label { (top.as_of_label)
                    input type="date" name="as_of" value=(page.as_of) title=(top.as_of_hint);
                }
                button type="submit" { (top.show_button) }
            }
        }
        section.card #result-uses {
            p.muted { (page.standing) }
            (figures(&page.figures))
            @if page.rows.is_empty() {
                p.muted { (t.no_uses) }
            } @else {
                div.scroll { table.ranking.uses {
                    thead { tr {
                        th { (t.kind) } th { (t.subject) } th { (t.view) } th { (t.read_at) } th { (t.recorded) }
                        th { (t.committee) } th { (t.note) } th { (t.basis) }
                    } }
                    tbody {
                        @for row in &page.rows {
                            tr data-use=(row.id) data-basis=(row.basis.0) class=[(row.basis.0 != "holds").then_some("changed")] {
                                td data-kind { (row.kind) }
                                td data-subject { (row.subject) }
                                td data-view { (row.view) }
                                td data-read-seq=(row.read_seq) {
                                    (t.event_seq.replace("{}", &row.read_seq.to_string()))
                                    br; code.digest { (row.read_hash) }
                                }
                                td data-event-seq=(row.event_seq) {
                                    (t.event_seq.replace("{}", &row.event_seq.to_string())) br; span.muted { (row.recorded) }
                                }
                                td { (row.committee) }
                                td.reason { (row.note) }
                                td {
                                    @if row.basis.0 == "holds" { (row.basis.1) } @else { span.veto { (row.basis.1) } }
                                    br;
                                    span.muted { (t.basis_then) (top.marks.colon) (row.then) } br; span.muted { (t.basis_now) (top.marks.colon) (row.now) }
                                    (changes_list(top, &row.changes))
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    pages::frame(top, t.result_uses_title, Some(visitor), Place::ResultUses, Scripts::App, content)
}

/// The point every read of one page is made at: the day asked about, or the head as it is now — one
/// sequence number, so a page's parts never mix two states of the ledger.
fn pinned(site: &SiteState, as_of: AsOf) -> Result<AsOf, Refusal> {
    match as_of {
        AsOf::Latest => {
            let head = site.app.read_models.resolve(AsOf::Latest).map_err(QueryError::from)?;
            Ok(AsOf::Seq(head.seq))
        }
        other => Ok(other),
    }
}
