//! A deterministic generator of assessment histories, by seed and size: realistic ones (`Size::S`:
//! one city, 12 counties, ~100 sections, a year of monthly assessment; `Size::M`: one province, 15
//! cities, 150 counties, ~1,500 sections, a year; `Size::County`: one county's own scheme and its 40
//! staff over four years; `Size::L`: a province of 100 counties, 600 sections and 5,000 staff, a year)
//! for the demo and benchmarks, and small random ones driven by a `Choose` source for property tests
//! (`random_history`, and `random_county_history` with a county's own scheme and staff). Events are
//! chained exactly as the store chains them, so projections can be tested without a store and
//! compared with one.
//!
//! Invariant: pure and deterministic — the same seed and size (or the same choices) give the same
//! events, ids, times and hashes; every event was accepted by `domain::decide` against the events
//! before it.

mod random;
mod sized;
mod world;

use kpi_ledger::chain::Sealed;
use kpi_ledger::domain::{Facts, Recorded};

/// How big a realistic history is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// One city, 12 counties with 8 sections each, a year.
    S,
    /// One province, 15 cities of 10 counties with 10 sections each, a year.
    M,
    /// One county with 6 sections and 40 staff under a city of its own, four years (2014–2017): the
    /// county's own scheme, personal indicators, weekly records, reviews, grades and uses of results.
    County,
    /// One province, 10 cities of 10 counties with 6 sections each (600), 5,000 staff, a year: every
    /// county with its own scheme and its staff as in `County`.
    L,
}

/// One event as the generator recorded it: sealed (what the store writes) and as the folds read it.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedEvent {
    pub sealed: Sealed,
    pub recorded: Recorded,
}

/// A generated history and the facts it leaves.
#[derive(Clone, Debug)]
pub struct History {
    pub events: Vec<GeneratedEvent>,
    pub state: Facts,
}

impl History {
    /// The events as the folds read them.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.events.iter().map(|event| event.recorded.clone()).collect()
    }

    /// The key of every person of the history not erased (their texts are sealed under them when the
    /// generator sealed texts, sizes `County` and `L`): what the ledger's `person-keys` file would hold.
    pub fn person_keys(
        &self,
        seed: u64,
    ) -> std::collections::BTreeMap<kpi_ledger::domain::PersonId, kpi_ledger::domain::PersonKey> {
        let persons = self.state.persons.iter().filter(|(_, person)| !person.erased);
        persons.map(|(code, _)| (code.clone(), world::person_key(seed, code))).collect()
    }

    /// This history and one more command, decided against its facts as `actor` at the instant of its
    /// last event (so that it changes no day a question is asked on), with ids made from `seed` (take
    /// another seed than the history's, so that they differ from its ids).
    pub fn then(
        &self,
        seed: u64,
        actor: &kpi_ledger::domain::Actor,
        command: impl Into<kpi_ledger::domain::Command>,
    ) -> Result<History, kpi_ledger::domain::Rejection> {
        let mut world = world::World::continuing(self, seed);
        world.run(actor, command)?;
        Ok(History { events: world.events, state: world.state })
    }
}

/// A source of choices: `below(n)` is in `0..n` (0 for `n == 0`).
pub trait Choose {
    fn below(&mut self, n: u64) -> u64;
    /// Whether the source has run dry (a scripted source); a seeded one never does.
    fn exhausted(&self) -> bool {
        false
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// SplitMix64: tiny, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub struct SeededChoices(u64);

impl SeededChoices {
    pub fn new(seed: u64) -> SeededChoices {
        SeededChoices(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choose for SeededChoices {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.next() % n
    }
}

/// Choices read from a script (a property test's shrinkable list); 0 once it runs dry.
#[derive(Clone, Debug)]
pub struct ScriptedChoices {
    script: Vec<u32>,
    position: usize,
}

impl ScriptedChoices {
    pub fn new(script: Vec<u32>) -> ScriptedChoices {
        ScriptedChoices { script, position: 0 }
    }
}

impl Choose for ScriptedChoices {
    fn below(&mut self, n: u64) -> u64 {
        let value = self.script.get(self.position).copied().unwrap_or(0);
        self.position += 1;
        if n == 0 {
            0
        } else {
            u64::from(value) % n
        }
    }

    fn exhausted(&self) -> bool {
        self.position >= self.script.len()
    }
}

/// A realistic history of `size`, the same for the same seed.
pub fn generate(seed: u64, size: Size) -> History {
    sized::generate(seed, size)
}

/// A small random history (3 counties, a few indicators, up to 6 months) with every kind of fact:
/// corrections, withdrawals, attributions, appeals with escalations, vetoes, bonuses, revisions,
/// not-applicable marks, reopened periods. Commands the rules refuse are skipped.
pub fn random_history(choices: &mut impl Choose, steps_max: usize) -> History {
    random::generate(choices, steps_max)
}

/// A small random history as `random_history` makes, with county YS01's own scheme of 2017 as well
/// (local indicators, the city's taken over at points of its own, scaled charges, local deductions,
/// tier awards, bonuses, vetoes, appeals and its months' lifecycle) and the staff of YS01 and YS02
/// (personal rules and indicators, assessments, weekly records and comments, reviews, moves, grades,
/// uses of results, retirements and erasures). Commands the rules refuse are skipped.
pub fn random_county_history(choices: &mut impl Choose, steps_max: usize) -> History {
    random::generate_county(choices, steps_max)
}

/// A step of a scripted story the rules refused: the script is broken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("step {index} ({label}) was rejected: {rejection}")]
pub struct StepRejected {
    pub index: usize,
    pub label: String,
    pub rejection: kpi_ledger::domain::Rejection,
}

/// Decides, seals and folds `steps` in order, as the service would, with deterministic envelopes: seq
/// from 1, event ids from the step's time and seq, recorded at the step's `now`.
pub fn run_story(steps: &[kpi_ledger::article::Step]) -> Result<History, StepRejected> {
    use kpi_ledger::domain::{decide, RecordedBy};
    let mut facts = Facts::default();
    let mut chain = kpi_ledger::chain::Chain::default();
    let mut events: Vec<GeneratedEvent> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let mut context = step.context.clone();
        context.known_links = step
            .command
            .links()
            .iter()
            .filter(|link| events.iter().any(|event| event.recorded.event_id == **link))
            .copied()
            .collect();
        let decided = decide(&facts, &step.command, &context).map_err(|rejection| StepRejected {
            index,
            label: step.label.clone(),
            rejection,
        })?;
        let recorded_by = RecordedBy { id: context.actor.id.clone(), role: context.actor.role };
        for event in decided {
            let seq = events.len() as u64 + 1;
            let stamp = kpi_ledger::chain::Stamp {
                event_id: story_event_id(&context, seq).0,
                recorded_at: context.now,
                recorded_by: &recorded_by,
                command_id: None,
                correlation_id: None,
                imported: None,
            };
            let (sealed, recorded) = chain.append(&event, stamp).expect("story events are small");
            facts.apply(&recorded);
            events.push(GeneratedEvent { sealed, recorded });
        }
    }
    Ok(History { events, state: facts })
}

/// The event id `run_story` gives the event with sequence number `seq` decided in `context`.
pub fn story_event_id(context: &kpi_ledger::domain::Context, seq: u64) -> kpi_ledger::domain::EventId {
    kpi_ledger::domain::EventId(kpi_ledger::article::story_id(context.now, seq | (1 << 63)))
}
