//! The generator's world: the domain `Facts`, a simulated clock, deterministic ids, and the chain of
//! events every accepted command recorded — `domain::decide`, sealed, then folded, as the service does.
//!
//! Invariant: every event the generator emits was decided by `domain::decide` against the state of
//! the events before it, so a generated history is one the real system could have recorded.

use uuid::{Builder, Uuid};

use kpi_ledger::chain::{Chain, Stamp};
use kpi_ledger::domain::{decide, Actor, Command, Context, Facts, RecordedBy, Rejection, Role, Timestamp, UnitCode};

use super::GeneratedEvent;

pub struct World {
    pub state: Facts,
    pub events: Vec<GeneratedEvent>,
    chain: Chain,
    now: Timestamp,
    seed: u64,
    ids_made: u64,
}

impl World {
    pub fn new(seed: u64, start: Timestamp) -> World {
        World { state: Facts::default(), events: Vec::new(), chain: Chain::default(), now: start, seed, ids_made: 0 }
    }

    /// Moves the clock to `at` if that is later; the clock never goes back.
    pub fn advance_to(&mut self, at: Timestamp) {
        self.now = self.now.max(at);
    }

    pub fn advance_micros(&mut self, micros: i64) {
        self.now = self.now.plus_micros(micros.max(0));
    }

    /// A UUID v7 from the clock's millisecond, the seed and a counter: distinct, ordered, repeatable.
    fn next_id(&mut self) -> Uuid {
        self.ids_made += 1;
        let millis = u64::try_from(self.now.unix_micros() / 1000).unwrap_or(0);
        let mut random_bytes = [0u8; 10];
        random_bytes[..2].copy_from_slice(&(self.seed as u16).to_be_bytes());
        random_bytes[2..].copy_from_slice(&self.ids_made.to_be_bytes());
        Builder::from_unix_timestamp_millis(millis, &random_bytes).into_uuid()
    }

    /// Decides `command` as `actor` now; folds and keeps the events, or returns the rejection. The
    /// clock moves on by a second, so every event has its own time.
    pub fn run(&mut self, actor: &Actor, command: impl Into<Command>) -> Result<Uuid, Rejection> {
        let command = command.into();
        let mut context = Context::new(self.now, actor.clone(), self.next_id());
        context.known_links = command
            .links()
            .iter()
            .filter(|link| self.events.iter().any(|e| e.recorded.event_id == **link))
            .copied()
            .collect();
        let events = decide(&self.state, &command, &context)?;
        let recorded_by = RecordedBy { id: actor.id.clone(), role: actor.role };
        for event in events {
            let stamp = Stamp {
                event_id: self.next_id(),
                recorded_at: self.now,
                recorded_by: &recorded_by,
                command_id: None,
                correlation_id: None,
                imported: None,
            };
            let (sealed, recorded) = self.chain.append(&event, stamp).expect("generated events are small");
            self.state.apply(&recorded);
            self.events.push(GeneratedEvent { sealed, recorded });
        }
        self.advance_micros(1_000_000);
        Ok(context.new_id)
    }

    /// Runs a command the generator built to be valid: a rejection is a bug in the generator.
    pub fn must(&mut self, actor: &Actor, command: impl Into<Command>) -> Uuid {
        let command = command.into();
        let name = command.name();
        self.run(actor, command).unwrap_or_else(|rejection| panic!("generated {name} was rejected: {rejection:?}"))
    }
}

pub fn actor(id: String, role: Role, unit: &UnitCode) -> Actor {
    Actor { id, role, unit: unit.clone() }
}

/// The actors of one assessing unit (a city assessing its counties).
pub struct IssuerActors {
    pub assessor: Actor,
    pub reviewer: Actor,
    pub committee: Actor,
}

impl IssuerActors {
    pub fn of(issuer: &UnitCode) -> IssuerActors {
        let lower = issuer.as_str().to_lowercase();
        IssuerActors {
            assessor: actor(format!("assessor.{lower}"), Role::Assessor, issuer),
            reviewer: actor(format!("reviewer.{lower}"), Role::Reviewer, issuer),
            committee: actor(format!("committee.{lower}"), Role::Committee, issuer),
        }
    }
}

pub fn office(county: &UnitCode) -> Actor {
    actor(format!("office.{}", county.as_str().to_lowercase()), Role::Office, county)
}

pub fn appellant(county: &UnitCode) -> Actor {
    actor(format!("appellant.{}", county.as_str().to_lowercase()), Role::Appellant, county)
}

pub fn code(text: String) -> UnitCode {
    UnitCode::new(text).expect("generated unit codes are well-formed")
}
