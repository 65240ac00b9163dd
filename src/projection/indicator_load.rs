//! Indicator load: how many indicators each section carries in each scheme year (the article's
//! 30 → 13 → 8 → 5 trend per section).
//!
//! Invariant: a section carries an indicator in a year when, in at least one base period of that
//! year, it leads it (by the assignment in force then) and the indicator applies to its county — the
//! same applicability and lead the scores use. A local indicator of its county's own scheme counts the
//! same way (a taken-over one is the city's, counted once, there).

use serde::{Deserialize, Serialize};

use crate::domain::{FunctionCode, PeriodId, SchemeId, UnitCode};

use super::Projection;
use crate::domain::facts::SchemeFacts;

/// One section's load in one scheme year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorLoad {
    pub scheme: SchemeId,
    pub year: i32,
    pub county: UnitCode,
    pub section: UnitCode,
    pub function_code: Option<FunctionCode>,
    /// The indicators it carries: those it leads in `scheme`, and the local ones of its county's own
    /// scheme of the year.
    pub indicators: usize,
    /// Of `indicators`, the local ones of its county's own scheme.
    #[serde(default)]
    pub local_indicators: usize,
}

impl Projection {
    /// The load of every active section of every unit a scheme assesses, by scheme, county, section.
    pub fn indicator_load(&self) -> Vec<IndicatorLoad> {
        let (own, others): (Vec<&SchemeFacts>, Vec<&SchemeFacts>) =
            self.facts.schemes.values().partition(|scheme| self.facts.is_own_scheme(scheme));
        let mut loads: Vec<IndicatorLoad> = others.into_iter().flat_map(|scheme| self.scheme_load(scheme)).collect();
        for scheme in own {
            for (section, local) in self.local_load(scheme) {
                let city = scheme.reads.as_ref();
                match loads.iter_mut().find(|load| Some(&load.scheme) == city && load.section == *section) {
                    Some(load) => {
                        load.indicators += local;
                        load.local_indicators = local;
                    }
                    None => loads.push(IndicatorLoad {
                        scheme: scheme.settings.scheme.clone(),
                        year: scheme.settings.year,
                        county: scheme.settings.issuer.clone(),
                        section: section.clone(),
                        function_code: self.facts.units.get(section).and_then(|unit| unit.function_code.clone()),
                        indicators: local,
                        local_indicators: local,
                    }),
                }
            }
        }
        loads
    }

    /// How many local indicators of a county's own scheme each active section of the county leads in
    /// at least one base period of the year.
    fn local_load<'a>(&'a self, scheme: &'a SchemeFacts) -> impl Iterator<Item = (&'a UnitCode, usize)> + 'a {
        let settings = &scheme.settings;
        let bases = PeriodId::all_in_year(settings.year, settings.base_period);
        self.facts.active_children(&settings.issuer, true).map(move |section| {
            let local = scheme.indicators.values().filter(|indicator| indicator.taken_over.is_none());
            let led = local.filter(|indicator| {
                bases.iter().any(|base| self.facts.own_indicator_applies(scheme, indicator, section, *base))
            });
            (section, led.count())
        })
    }

    /// One section's load across the scheme years, oldest first: the trend.
    pub fn indicator_load_of(&self, section: &UnitCode) -> Vec<IndicatorLoad> {
        self.indicator_load().into_iter().filter(|load| &load.section == section).collect()
    }

    /// The load of every section of one assessed unit, by scheme year and section.
    pub fn indicator_load_of_county(&self, county: &UnitCode) -> Vec<IndicatorLoad> {
        self.indicator_load().into_iter().filter(|load| &load.county == county).collect()
    }

    fn scheme_load<'a>(&'a self, scheme: &'a SchemeFacts) -> impl Iterator<Item = IndicatorLoad> + 'a {
        let settings = &scheme.settings;
        let bases = PeriodId::all_in_year(settings.year, settings.base_period);
        let counties = self.facts.active_children(&settings.issuer, false);
        counties.flat_map(move |county| {
            let bases = bases.clone();
            self.facts.active_children(county, true).map(move |section| {
                let carried = scheme.indicators.values().filter(|indicator| {
                    let code = &indicator.defined.indicator;
                    bases.iter().any(|base| {
                        scheme.lead_section(county, code, *base) == Some(section)
                            && scheme.applies(indicator, county, *base)
                    })
                });
                IndicatorLoad {
                    scheme: settings.scheme.clone(),
                    year: settings.year,
                    county: county.clone(),
                    section: section.clone(),
                    function_code: self.facts.units.get(section).and_then(|unit| unit.function_code.clone()),
                    indicators: carried.count(),
                    local_indicators: 0,
                }
            })
        })
    }
}
