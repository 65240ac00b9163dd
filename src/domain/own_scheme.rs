//! A county's own scheme (内部考核) in the facts: what ties it to the scheme of its city.
//!
//! A scheme whose issuer is a county assesses the county's sections directly. It reads the city's
//! scheme of the same year (`SchemeFacts::reads`): it uses the city's base periods (a month opened
//! there is opened here, at the same event; a month the city reopens is published here again if it
//! was final), and the city's facts about the county score its *taken-over* indicators — city
//! indicators the county takes in with points of its own (`IndicatorFacts::taken_over`), counted for
//! the section the county's plan in the city's scheme names as lead. Its *local* indicators are its
//! own, defined, assigned and assessed in it like any.
//!
//! Invariant: all of it is folded from events in chain order by `Facts::apply` (the hooks here are
//! called from `fold`), so the decider and every projection see the same county scheme; a county
//! month is final only while the city's same month is final (the rules refuse finalising it before,
//! and the city's reopening publishes it again here).

use serde::{Deserialize, Serialize};

use super::event::{IndicatorDefined, IndicatorTakenOver};
use super::facts::{Facts, IndicatorFacts, IndicatorVersion, PeriodFacts, PeriodStatus, SchemeFacts};
use super::ids::{IndicatorCode, SchemeId, UnitCode};
use super::organisation::UnitLevel;
use super::period::PeriodId;
use super::points::Points;
use super::recorded::EventRef;

/// Where a taken-over indicator comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenOver {
    /// The city's scheme whose indicator of the same code this one takes over.
    pub city_scheme: SchemeId,
}

/// A taken-over indicator as it stands in one base period of a county's own scheme.
#[derive(Clone, Copy, Debug)]
pub struct TakenOverVersion<'a> {
    pub city: &'a SchemeFacts,
    pub city_indicator: &'a IndicatorFacts,
    /// The city's indicator in that period (its name, method and points there).
    pub city_version: IndicatorVersion<'a>,
    /// What the county's scheme gives it in that period.
    pub points_max: Points,
    /// The section the county's plan in the city's scheme names as lead then, if any.
    pub lead: Option<&'a UnitCode>,
}

impl Facts {
    /// Whether `scheme` is a county's own scheme: its issuer is a county, and it assesses the county's
    /// sections directly.
    pub fn is_own_scheme(&self, scheme: &SchemeFacts) -> bool {
        self.units.get(&scheme.settings.issuer).is_some_and(|issuer| issuer.level == UnitLevel::County)
    }

    /// The city's scheme a county's own scheme reads, if it reads one.
    pub fn city_scheme_of(&self, scheme: &SchemeFacts) -> Option<&SchemeFacts> {
        self.schemes.get(scheme.reads.as_ref()?)
    }

    /// The scheme a county's own scheme of `issuer` for `year` would read: its parent's of that year.
    pub fn parent_scheme_id(&self, issuer: &UnitCode, year: i32) -> Option<SchemeId> {
        self.parent_of(issuer).map(|parent| SchemeId::for_issuer_year(parent, year))
    }

    /// A taken-over indicator of `own` in `period`: `None` when it is not taken over, not in force
    /// there (before its first period, retired), or the city's indicator does not apply to the county
    /// then (not defined, retired or dropped there, or assigned only later).
    pub fn taken_over_at<'a>(
        &'a self,
        own: &'a SchemeFacts,
        indicator: &'a IndicatorFacts,
        period: PeriodId,
    ) -> Option<TakenOverVersion<'a>> {
        let taken_over = indicator.taken_over.as_ref()?;
        if indicator.defined.effective_from > period || indicator.is_retired_at(period) {
            return None;
        }
        let city = self.schemes.get(&taken_over.city_scheme)?;
        let code = &indicator.defined.indicator;
        let city_indicator = city.indicators.get(code)?;
        let county = &own.settings.issuer;
        if !city.applies(city_indicator, county, period) {
            return None;
        }
        Some(TakenOverVersion {
            city,
            city_indicator,
            city_version: city_indicator.version_at(period),
            points_max: indicator.version_at(period).points_max,
            lead: city.lead_section(county, code, period),
        })
    }

    /// Whether an indicator of a county's own scheme counts for `section` in `period`: a local one
    /// that the county's plan in its own scheme gives the section then (and that applies), or a
    /// taken-over one whose lead in the city's scheme is the section then.
    pub fn own_indicator_applies(
        &self,
        own: &SchemeFacts,
        indicator: &IndicatorFacts,
        section: &UnitCode,
        period: PeriodId,
    ) -> bool {
        if indicator.taken_over.is_some() {
            return self.taken_over_at(own, indicator, period).is_some_and(|version| version.lead == Some(section));
        }
        let county = &own.settings.issuer;
        own.lead_section(county, &indicator.defined.indicator, period) == Some(section)
            && own.applies(indicator, county, period)
    }

    /// The county's own scheme that reads facts of `scheme` about `unit` (the county, or one of its
    /// sections): the scheme of that county for the year, when it reads `scheme`.
    fn own_scheme_reading(&self, scheme: &SchemeId, unit: &UnitCode) -> Option<SchemeId> {
        let city = self.schemes.get(scheme)?;
        let record = self.units.get(unit)?;
        let county = if record.level.is_section() { record.parent.as_ref()? } else { unit };
        let own = SchemeId::for_issuer_year(county, city.settings.year);
        let reads = self.schemes.get(&own)?.reads.as_ref() == Some(scheme);
        reads.then_some(own)
    }

    /// The own schemes of the counties under `city`'s issuer that read `city`.
    fn own_schemes_reading(&self, city: &SchemeId) -> Vec<SchemeId> {
        let Some(record) = self.schemes.get(city) else { return Vec::new() };
        let counties = self.children.get(&record.settings.issuer).into_iter().flatten();
        counties
            .map(|county| SchemeId::for_issuer_year(county, record.settings.year))
            .filter(|own| self.schemes.get(own).is_some_and(|own| own.reads.as_ref() == Some(city)))
            .collect()
    }

    // ---- Hooks of the fold -------------------------------------------------------------------

    /// A scheme was opened: if it is a county's own, it reads its city's scheme of the year and takes
    /// the months opened there so far, with their opening events.
    pub(super) fn own_scheme_opened(&mut self, scheme: &SchemeId) {
        let Some(record) = self.schemes.get(scheme) else { return };
        if !self.is_own_scheme(record) {
            return;
        }
        let county = record.settings.issuer.clone();
        let Some(city_id) = self.parent_scheme_id(&county, record.settings.year) else { return };
        let Some(city) = self.schemes.get(&city_id) else { return };
        let periods: Vec<(PeriodId, PeriodFacts)> = city
            .periods
            .iter()
            .map(|(period, opened)| {
                let city_results = city.assessments.get(period).is_some_and(|units| {
                    units.keys().any(|unit| unit == &county || self.parent_of(unit) == Some(&county))
                });
                (*period, own_period(opened.opened.clone(), city_results))
            })
            .collect();
        if let Some(own) = self.schemes.get_mut(scheme) {
            own.reads = Some(city_id);
            own.periods.extend(periods);
        }
    }

    /// A city opened a base period: so does every county scheme that reads it, at the same event.
    pub(super) fn city_period_opened(&mut self, city: &SchemeId, period: PeriodId, opened: &EventRef) {
        for own in self.own_schemes_reading(city) {
            if let Some(own) = self.schemes.get_mut(&own) {
                own.periods.entry(period).or_insert_with(|| own_period(opened.clone(), false));
            }
        }
    }

    /// A city reopened a final month: every county month that reads it and was final is published
    /// again (the city's correction is never held up by a county's finality).
    pub(super) fn city_period_reopened(&mut self, city: &SchemeId, period: PeriodId) {
        for own in self.own_schemes_reading(city) {
            let record = self.schemes.get_mut(&own).and_then(|own| own.periods.get_mut(&period));
            if let Some(record) = record.filter(|record| record.status == PeriodStatus::Final) {
                record.status = PeriodStatus::Published;
            }
        }
    }

    /// A fact was recorded in `scheme` about `unit` in `period`: the county scheme that reads it has
    /// results in that month.
    pub(super) fn city_fact_recorded(&mut self, scheme: &SchemeId, period: PeriodId, unit: &UnitCode) {
        let Some(own) = self.own_scheme_reading(scheme, unit) else { return };
        if let Some(record) = self.schemes.get_mut(&own).and_then(|own| own.periods.get_mut(&period)) {
            record.city_results = true;
        }
    }

    /// A city indicator was taken over: it enters the county's scheme with the county's points, and
    /// with the city's name, method and categories as they stand in its first period here.
    pub(super) fn indicator_taken_over(&mut self, event: &IndicatorTakenOver) {
        let city_indicator =
            self.schemes.get(&event.city_scheme).and_then(|city| city.indicators.get(&event.indicator));
        let Some(city_indicator) = city_indicator else { return };
        let version = city_indicator.version_at(event.effective_from);
        let defined = IndicatorDefined {
            scheme: event.scheme.clone(),
            indicator: event.indicator.clone(),
            name: version.name.to_owned(),
            description: version.description.to_owned(),
            points_max: event.points_max,
            method: version.method.clone(),
            veto: false,
            problem_categories: city_indicator.defined.problem_categories.clone(),
            assessor: city_indicator.defined.assessor.clone(),
            effective_from: event.effective_from,
        };
        let taken_over = Some(TakenOver { city_scheme: event.city_scheme.clone() });
        let indicator = IndicatorFacts { defined, revisions: Vec::new(), retired_from: None, taken_over };
        if let Some(own) = self.schemes.get_mut(&event.scheme) {
            own.indicators.insert(event.indicator.clone(), indicator);
        }
    }
}

fn own_period(opened: EventRef, city_results: bool) -> PeriodFacts {
    PeriodFacts {
        status: PeriodStatus::Open,
        opened,
        published_at: None,
        objection_window_closes_at: None,
        city_results,
    }
}

/// The codes of the taken-over indicators of a scheme (none for a city's).
pub fn taken_over_codes(scheme: &SchemeFacts) -> impl Iterator<Item = &IndicatorCode> {
    scheme.indicators.iter().filter(|(_, indicator)| indicator.taken_over.is_some()).map(|(code, _)| code)
}
