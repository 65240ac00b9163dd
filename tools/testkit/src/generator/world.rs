//! The generator's world: the domain `Facts`, a simulated clock, deterministic ids, and the chain of
//! events every accepted command recorded — `domain::decide`, sealed, then folded, as the service does.
//! What the service reads for a command that rests on the ledger (`Context::basis`: a result use's
//! chain position, an annual grade's individual standing) the world reads the same way, from its own
//! chain and facts; and when asked to (`sealing_texts`), it seals personal texts under a key of each
//! person's own, derived from the seed, as the service seals them under the keys it keeps.
//!
//! Invariant: every event the generator emits was decided by `domain::decide` against the state of
//! the events before it, so a generated history is one the real system could have recorded.

use uuid::{Builder, Uuid};

use kpi_ledger::chain::{sealed_text, Chain, Stamp};
use kpi_ledger::domain::command::{AssignIndicator, DefineIndicator};
use kpi_ledger::domain::date::Date;
use kpi_ledger::domain::person::{ChainPosition, CommandBasis};
use kpi_ledger::domain::personal_text::NONCE_BYTES;
use kpi_ledger::domain::scheme::{IndicatorMethod, TierStandard};
use kpi_ledger::domain::{
    allowed_roles, decide, Actor, Command, Context, Event, Facts, IndicatorCode, PerMille, PersonId, PersonKey,
    PersonalText, Points, ProblemCategory, RecordedBy, Rejection, Role, SchemeId, Timestamp, UnitCode,
};
use kpi_ledger::projection::Projection;

use super::{GeneratedEvent, History};

pub struct World {
    pub state: Facts,
    pub events: Vec<GeneratedEvent>,
    chain: Chain,
    now: Timestamp,
    seed: u64,
    ids_made: u64,
    /// Whether personal texts are sealed (as the service records them) or left plain (version 1).
    seal_texts: bool,
}

impl World {
    pub fn new(seed: u64, start: Timestamp) -> World {
        World {
            state: Facts::default(),
            events: Vec::new(),
            chain: Chain::default(),
            now: start,
            seed,
            ids_made: 0,
            seal_texts: false,
        }
    }

    /// A world that goes on from `history` (its clock at the last event's time), making ids of its own
    /// from `seed`: for one more command at the end of a history.
    pub fn continuing(history: &History, seed: u64) -> World {
        let mut chain = Chain::default();
        for event in &history.events {
            chain.count(event.recorded.event.stream_id());
        }
        let mut now = Timestamp::UNIX_EPOCH;
        if let Some(last) = history.events.last() {
            chain.set_head(last.sealed.head());
            now = last.recorded.recorded_at;
        }
        World {
            state: history.state.clone(),
            events: history.events.clone(),
            chain,
            now,
            seed,
            ids_made: 0,
            seal_texts: false,
        }
    }

    /// Seals every personal text from now on under its person's key (derived from the seed and the
    /// person), with a fresh nonce each: the bytes the service would store, reproducibly.
    pub fn sealing_texts(mut self) -> World {
        self.seal_texts = true;
        self
    }

    /// The civil day of the next command, in the ledger's time zone.
    pub fn today(&self) -> Date {
        Date::of_instant(self.now, self.state.time_zone())
    }

    /// The chain position after the last event: what a view read now is read at.
    pub fn head_position(&self) -> ChainPosition {
        let head = self.chain.head();
        ChainPosition { seq: head.seq, hash: head.hash }
    }

    /// The facts lent to a projection for a question (the individual ranking before a grade), and
    /// given back.
    pub fn with_projection<T>(&mut self, question: impl FnOnce(&Projection) -> T) -> T {
        let head = self.chain.head();
        let facts = std::mem::take(&mut self.state);
        let projection = Projection::with_facts(facts, head.seq, head.hash, head.recorded_at);
        let answer = question(&projection);
        self.state = projection.into_facts();
        answer
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
        let basis = self.basis(actor, &command);
        self.run_with_basis(actor, command, basis)
    }

    /// What the service reads before deciding `command` (`service::people::prepare`): a result use's
    /// chain position (the head when it names none), an annual grade's individual standing read from
    /// the facts now; only for an actor whose role may give the command.
    fn basis(&mut self, actor: &Actor, command: &Command) -> CommandBasis {
        let mut basis = CommandBasis::default();
        if !allowed_roles(command).contains(&actor.role) {
            return basis;
        }
        match command {
            Command::RecordResultUse(used) => basis.position = Some(used.read_at.unwrap_or(self.head_position())),
            Command::RecordGrade(grade) => {
                let today = self.today();
                let standing = self.with_projection(|projection| {
                    projection.individual_standing(&grade.unit, grade.year, &grade.person, today)
                });
                basis.standing = Some(standing);
            }
            _ => {}
        }
        basis
    }

    /// As `run`, with what the command rests on given (a standing read once for a whole county's
    /// grades, which change no standing).
    pub fn run_with_basis(
        &mut self,
        actor: &Actor,
        command: impl Into<Command>,
        basis: CommandBasis,
    ) -> Result<Uuid, Rejection> {
        let command = command.into();
        let mut context = Context::new(self.now, actor.clone(), self.next_id());
        context.basis = basis;
        let links = command.links();
        if !links.is_empty() {
            context.known_links = links
                .iter()
                .filter(|link| self.events.iter().any(|e| e.recorded.event_id == **link))
                .copied()
                .collect();
        }
        let mut events = decide(&self.state, &command, &context)?;
        if self.seal_texts {
            for event in &mut events {
                self.seal(event);
            }
        }
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

    /// As `must`, with what the command rests on given.
    pub fn must_with_basis(&mut self, actor: &Actor, command: impl Into<Command>, basis: CommandBasis) -> Uuid {
        let command = command.into();
        let name = command.name();
        self.run_with_basis(actor, command, basis)
            .unwrap_or_else(|rejection| panic!("generated {name} was rejected: {rejection:?}"))
    }

    /// Seals the event's plain personal text, if it holds one, under its person's key.
    fn seal(&mut self, event: &mut Event) {
        let nonce = self.nonce();
        let seed = self.seed;
        let Some((person, field, text)) = event.personal_text_mut() else { return };
        let PersonalText::Plain(plain) = text else { return };
        let key = person_key(seed, person);
        let sealed = sealed_text::seal(&key, nonce, person, field, plain).expect("generated texts seal");
        *text = PersonalText::Sealed(sealed);
    }

    /// A nonce of the seed and a counter: distinct for every text, repeatable.
    fn nonce(&mut self) -> [u8; NONCE_BYTES] {
        self.ids_made += 1;
        let mut nonce = [0u8; NONCE_BYTES];
        nonce[..8].copy_from_slice(&self.seed.to_be_bytes());
        nonce[8..16].copy_from_slice(&self.ids_made.to_be_bytes());
        nonce
    }
}

/// The key a generated history seals `person`'s texts under: SplitMix64 draws seeded by the seed and
/// the person's code (FNV-1a), so each person has a key of their own and every run the same one.
pub fn person_key(seed: u64, person: &PersonId) -> PersonKey {
    let mut state = person.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ seed, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        let mut draw = super::SeededChoices(state);
        let value = draw.next();
        state = draw.0;
        chunk.copy_from_slice(&value.to_be_bytes());
    }
    PersonKey(key)
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

/// Tier standards named by their shares (per mille of the indicator's points).
pub fn tiers(shares: &[u16]) -> Vec<TierStandard> {
    shares
        .iter()
        .map(|share| TierStandard {
            standard: format!("share {share}"),
            share_per_mille: PerMille::new(*share).expect("generator shares are at most 1000"),
        })
        .collect()
}

/// An indicator as the generators define it: named after its code, from its year's start, deducted
/// from or awarded in tiers of 100, 80, 60 and 0 per cent.
pub fn define_indicator(
    scheme: &SchemeId,
    code: &IndicatorCode,
    points: i64,
    (tiered, veto): (bool, bool),
    problem_categories: Vec<ProblemCategory>,
    assessor: &UnitCode,
) -> DefineIndicator {
    DefineIndicator {
        scheme: scheme.clone(),
        indicator: code.clone(),
        name: format!("indicator {code}"),
        description: String::new(),
        points_max: Points(points),
        method: match tiered {
            true => IndicatorMethod::Tiered { tiers: tiers(&[1000, 800, 600, 0]) },
            false => IndicatorMethod::Deduct,
        },
        veto,
        problem_categories,
        assessor: assessor.clone(),
        effective_from: None,
    }
}

/// An indicator assigned to a unit and led by one of its sections, from its year's start.
pub fn assign(
    scheme: &SchemeId,
    indicator: &IndicatorCode,
    unit: &UnitCode,
    lead_section: &UnitCode,
) -> AssignIndicator {
    AssignIndicator {
        scheme: scheme.clone(),
        indicator: indicator.clone(),
        unit: unit.clone(),
        lead_section: lead_section.clone(),
        supporting_sections: Vec::new(),
        responsible_person: None,
        effective_from: None,
    }
}
