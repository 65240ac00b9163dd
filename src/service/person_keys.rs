//! Person keys at the service (docs/RULES.md §15.12): the key each person's personal texts are sealed
//! under, held in memory and kept in the key file beside the ledger (`store::person_keys`), never in
//! sled. The service seals the texts of a decided command before it is recorded, opens them when it
//! answers a read, and destroys a person's key when their erasure is recorded.
//!
//! Invariant: a sealed text is recorded only after the key it is sealed under is durable in the key
//! file (`ensure_key` before the command is decided, `persist_staged` before its append for a key the
//! decision still needed), so a crash never leaves a sealed text without its key. An erased person's key stops opening anything the moment the erasure is decided (reads then
//! show the erased marker), leaves the key file once the erasure is durable (`finish_forgetting`), and
//! is purged on open should a crash have come between the two; it is never written again. Facts and
//! snapshots only ever hold texts as stored: opening happens here, on the way out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::chain::sealed_text;
use crate::domain::personal_text::NONCE_BYTES;
use crate::domain::{Command, Event, Facts, PersonId, PersonKey, PersonalText, TextField};
use crate::service::clock::IdSource;
use crate::service::read_models::ReadModels;
use crate::service::ServiceError;
use crate::store::person_keys::{self, KeyFileError, PersonKeyMap};

/// The key file's name in the data directory, for the adapters to name it.
pub use crate::store::person_keys::PERSON_KEYS_FILE;

/// How an erased person's texts read.
pub const ERASED_TEXT: &str = "（已删除）";

/// How a sealed text reads whose key is missing or does not open it (a key file lost or restored
/// without it): never its ciphertext.
pub const UNREADABLE_TEXT: &str = "（无法解密）";

/// The keys as this process knows them.
#[derive(Default)]
struct Ring {
    /// The keys in the key file.
    keys: PersonKeyMap,
    /// New keys made before their commands are decided (`ensure_key`), being written to the file.
    pending: PersonKeyMap,
    /// New keys of the command being decided, written to the file before its events are recorded.
    staged: PersonKeyMap,
    /// Persons whose erasure is decided but not durable yet: still in the file, never used again.
    forgetting: BTreeSet<PersonId>,
    /// Persons whose erasure is recorded (or, while `forgetting`, decided).
    erased: BTreeSet<PersonId>,
}

impl Ring {
    /// The key that opens `person`'s texts, unless they are erased.
    fn readable(&self, person: &PersonId) -> Option<&PersonKey> {
        match self.is_erased(person) {
            true => None,
            false => self.held(person),
        }
    }

    /// The key `person` has, written to the file or about to be.
    fn held(&self, person: &PersonId) -> Option<&PersonKey> {
        self.keys.get(person).or_else(|| self.pending.get(person)).or_else(|| self.staged.get(person))
    }

    fn is_erased(&self, person: &PersonId) -> bool {
        self.erased.contains(person) || self.forgetting.contains(person)
    }
}

/// The person a command records a personal text of, to be sealed under their key (the commands behind
/// the events `Event::personal_text` names).
fn person_sealed_for(command: &Command) -> Option<&PersonId> {
    match command {
        Command::RegisterPerson(command) => Some(&command.person),
        Command::FileWeeklyRecord(command) => Some(&command.person),
        Command::CommentWeeklyRecord(command) => Some(&command.person),
        Command::ReviewPerson(command) => Some(&command.person),
        _ => None,
    }
}

fn new_key(ids: &dyn IdSource) -> Result<PersonKey, ServiceError> {
    let mut bytes = [0u8; 32];
    ids.fill_random(&mut bytes).map_err(|e| ServiceError::Failure(e.to_string()))?;
    Ok(PersonKey(bytes))
}

/// The key ring of one ledger.
pub struct PersonKeys {
    /// The data directory whose key file is rewritten; `None` for a ring opened only to read.
    dir: Option<PathBuf>,
    ring: Mutex<Ring>,
    /// Held while the key file is replaced: one write at a time, each from the ring as it then is.
    writes: Mutex<()>,
}

fn key_file_failure(error: KeyFileError) -> ServiceError {
    ServiceError::Failure(format!("the person keys file: {error}"))
}

impl PersonKeys {
    /// The keys of the ledger in `dir`, for the service that writes it. Keys of persons `facts` say
    /// were erased are purged from the file here — a crash may have come between recording an
    /// erasure and rewriting the file — and so is a temporary copy a crash left.
    pub fn open(dir: &Path, facts: &Facts) -> Result<PersonKeys, ServiceError> {
        person_keys::remove_temporary(dir).map_err(key_file_failure)?;
        let loaded = person_keys::load_for_writing(dir).map_err(key_file_failure)?;
        let (mut keys, needs_rewrite) = (loaded.keys, loaded.needs_rewrite);
        let erased = erased_persons(facts);
        let before = keys.len();
        keys.retain(|person, _| !erased.contains(person));
        if keys.len() != before || needs_rewrite {
            // Replaced whole: an erased person's key leaves it, and keys are appended to a journal
            // with every line finished.
            person_keys::replace(dir, &keys).map_err(key_file_failure)?;
            tracing::info!(purged = before - keys.len(), "rewrote the key file");
        }
        let ring = Ring { keys, erased, ..Ring::default() };
        Ok(PersonKeys { dir: Some(dir.to_owned()), ring: Mutex::new(ring), writes: Mutex::new(()) })
    }

    /// The keys of the ledger `read_models` read, to open texts in answers: for a reading command on
    /// the ledger itself (a server answers with its own ring). It never writes the file.
    pub fn for_reading(read_models: &ReadModels) -> Result<PersonKeys, ServiceError> {
        let keys = person_keys::load(read_models.ledger().dir()).map_err(key_file_failure)?;
        let (_, erased) = read_models
            .with_projection(crate::projection::AsOf::Latest, |projection| erased_persons(projection.facts()))?;
        let ring = Ring { keys, erased, ..Ring::default() };
        Ok(PersonKeys { dir: None, ring: Mutex::new(ring), writes: Mutex::new(()) })
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().expect("person keys lock")
    }

    /// How many keys the file holds.
    pub fn len(&self) -> usize {
        self.ring().keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ---- Sealing, when a command is decided -------------------------------------------------------

    /// Before `command` is decided: the person whose text it records gets a key, durable in the key
    /// file, if they have none. This runs outside the decider's lock, so other commands go on being
    /// decided and group-committed while the file is written, and keys made meanwhile are written
    /// together (one replacement of the file for all). A command refused afterwards leaves a key that
    /// seals nothing (its person's next registration uses it).
    pub fn ensure_key_for(&self, command: &Command, ids: &dyn IdSource) -> Result<(), ServiceError> {
        let Some(person) = person_sealed_for(command) else { return Ok(()) };
        {
            let mut ring = self.ring();
            // An erased person's command is refused by the rules; one with a key needs nothing.
            if ring.is_erased(person) || ring.held(person).is_some() {
                return Ok(());
            }
            ring.pending.insert(person.clone(), new_key(ids)?);
        }
        let _writing = self.writes.lock().expect("person keys write lock");
        let pending = {
            let ring = self.ring();
            if !ring.pending.contains_key(person) {
                return Ok(()); // written meanwhile, with another command's key
            }
            ring.pending.clone()
        };
        if let Err(error) = self.write_with(&pending) {
            let mut ring = self.ring();
            ring.pending.retain(|person, _| !pending.contains_key(person));
            return Err(error);
        }
        Ok(())
    }

    /// Seals every plain personal text of `events` (decided, not yet recorded) under its person's key,
    /// with a fresh nonce; a person without a key gets a new one, staged until `persist_staged`.
    pub fn seal_events(&self, events: &mut [Event], ids: &dyn IdSource) -> Result<(), ServiceError> {
        for event in events {
            let Some((person, field, text)) = event.personal_text_mut() else { continue };
            let PersonalText::Plain(plain) = text else { continue };
            let key = self.key_for_sealing(person, ids)?;
            let mut nonce = [0u8; NONCE_BYTES];
            ids.fill_random(&mut nonce).map_err(|e| ServiceError::Failure(e.to_string()))?;
            let sealed = sealed_text::seal(&key, nonce, person, field, plain)
                .map_err(|e| ServiceError::Failure(e.to_string()))?;
            *text = PersonalText::Sealed(sealed);
        }
        Ok(())
    }

    /// The person's key, or a new one (staged) for a person who has none yet: one just registered, or
    /// registered before texts were sealed.
    fn key_for_sealing(&self, person: &PersonId, ids: &dyn IdSource) -> Result<PersonKey, ServiceError> {
        let mut ring = self.ring();
        if ring.is_erased(person) {
            // The rules refuse every text about an erased person; this is a broken invariant.
            return Err(ServiceError::Failure(format!("a text about {person}, whose information was erased")));
        }
        if let Some(key) = ring.held(person) {
            return Ok(key.clone());
        }
        let key = new_key(ids)?;
        ring.staged.insert(person.clone(), key.clone());
        Ok(key)
    }

    /// Writes the staged keys to the key file (with every other key), before the events sealed under
    /// them are handed to the ledger: the keys `ensure_key_for` did not make first (a history's
    /// commands, decided together). On failure nothing is staged any more and nothing may be recorded.
    pub fn persist_staged(&self) -> Result<(), ServiceError> {
        if self.ring().staged.is_empty() {
            return Ok(());
        }
        let _writing = self.writes.lock().expect("person keys write lock");
        let staged = self.ring().staged.clone();
        if let Err(error) = self.write_with(&staged) {
            self.discard_staged();
            return Err(error);
        }
        Ok(())
    }

    /// Appends `extra` to the key file (the caller holds `writes`), then counts it as written: out of
    /// `pending` and `staged`, into `keys`. A person erased meanwhile is left out: their key is never
    /// written again.
    fn write_with(&self, extra: &PersonKeyMap) -> Result<(), ServiceError> {
        let new: PersonKeyMap = {
            let ring = self.ring();
            let unwritten = |person: &PersonId| !ring.erased.contains(person) && !ring.keys.contains_key(person);
            extra.iter().filter(|(person, _)| unwritten(person)).map(|(p, k)| (p.clone(), k.clone())).collect()
        };
        let dir =
            self.dir.as_deref().ok_or_else(|| ServiceError::Failure("the person keys are read-only here".into()))?;
        person_keys::append(dir, &new).map_err(key_file_failure)?;
        let mut ring = self.ring();
        for person in extra.keys() {
            ring.pending.remove(person);
            ring.staged.remove(person);
        }
        ring.keys.extend(new);
        Ok(())
    }

    /// Forgets the staged keys of a command that was not recorded after all.
    pub fn discard_staged(&self) {
        self.ring().staged.clear();
    }

    fn write(&self, keys: &PersonKeyMap) -> Result<(), ServiceError> {
        let dir =
            self.dir.as_deref().ok_or_else(|| ServiceError::Failure("the person keys are read-only here".into()))?;
        person_keys::replace(dir, keys).map_err(key_file_failure)
    }

    // ---- Erasure ----------------------------------------------------------------------------------

    /// The erasure of `persons` is decided and about to be recorded: their keys open nothing from now
    /// on, but stay in the file until the erasure is durable (so a failed append loses no key).
    pub fn begin_forgetting(&self, persons: &[PersonId]) {
        self.ring().forgetting.extend(persons.iter().cloned());
    }

    /// The erasure was not recorded (the ledger refused or failed the append): the keys stand again.
    pub fn abandon_forgetting(&self, persons: &[PersonId]) {
        let mut ring = self.ring();
        for person in persons {
            ring.forgetting.remove(person);
        }
    }

    /// The erasure of `persons` is durable: their keys leave memory and the key file, which is
    /// replaced whole.
    pub fn finish_forgetting(&self, persons: &[PersonId]) -> Result<(), ServiceError> {
        if persons.is_empty() {
            return Ok(());
        }
        let _writing = self.writes.lock().expect("person keys write lock");
        let remaining = {
            let mut ring = self.ring();
            for person in persons {
                ring.forgetting.remove(person);
                ring.keys.remove(person);
                ring.pending.remove(person);
                ring.staged.remove(person);
                ring.erased.insert(person.clone());
            }
            ring.keys.clone()
        };
        self.write(&remaining).map_err(|error| {
            let names: Vec<String> = persons.iter().map(PersonId::to_string).collect();
            ServiceError::Failure(format!(
                "the erasure of {} is recorded, but its key could not be removed from the key file ({error}); it is \
                 removed when the ledger is next opened",
                names.join(", ")
            ))
        })
    }

    /// Whether `person`'s information is erased (or its erasure decided).
    pub fn is_erased(&self, person: &PersonId) -> bool {
        self.ring().is_erased(person)
    }

    // ---- Opening, when a read is answered ---------------------------------------------------------

    /// `text` of `person` in `field` as an answer shows it: the erased marker when the person is
    /// erased (`erased`, or known here to be), a plain text as it is, a sealed one opened with the
    /// person's key — or the unreadable marker when it cannot be.
    pub fn reveal(&self, person: &PersonId, field: TextField, text: &mut PersonalText, erased: bool) {
        let shown = match (&*text, erased) {
            (_, true) => ERASED_TEXT.to_owned(),
            (PersonalText::Plain(_), false) => return,
            (PersonalText::Sealed(sealed), false) => match self.ring().readable(person) {
                Some(key) => sealed_text::open(key, person, field, sealed).unwrap_or_else(|error| {
                    tracing::warn!(%error, "a sealed text does not open");
                    UNREADABLE_TEXT.to_owned()
                }),
                None => {
                    // A key file lost or restored without this key: every read would say so, so quietly.
                    tracing::debug!(%person, field = field.as_str(), "no key for a sealed text");
                    UNREADABLE_TEXT.to_owned()
                }
            },
        };
        *text = PersonalText::Plain(shown);
    }

    // ---- Backup -----------------------------------------------------------------------------------

    /// Every key now in the ring, for a backup.
    fn all_keys(&self) -> PersonKeyMap {
        self.ring().keys.clone()
    }
}

/// The persons whose information `facts` say was erased.
fn erased_persons(facts: &Facts) -> BTreeSet<PersonId> {
    facts.persons.iter().filter(|(_, person)| person.erased).map(|(id, _)| id.clone()).collect()
}

/// The persons a decision erases.
pub(super) fn erased_by(events: &[Event]) -> Vec<PersonId> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::PersonErased(erased) => Some(erased.person.clone()),
            _ => None,
        })
        .collect()
}

// ---- Backup and restore (`kpi-ledger person-keys backup|restore`) --------------------------------------

/// What a backup or a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeysCopied {
    /// Keys written.
    pub keys: usize,
    /// Keys left out: of persons erased since the backup was taken (a restore never brings them back).
    pub skipped_erased: usize,
}

/// Writes every key of the ledger in `data` to `out`, a new file (mode 0600). It reads the key file
/// as it stands (the file is only ever replaced whole, so a running server does not get in the way).
pub fn backup(data: &Path, out: &Path) -> Result<KeysCopied, String> {
    let keys = person_keys::load(data).map_err(|e| e.to_string())?;
    person_keys::write_new(out, &keys).map_err(|e| format!("--out: {e}"))?;
    Ok(KeysCopied { keys: keys.len(), skipped_erased: 0 })
}

/// Brings the keys of a backup back into the key file of `service`'s ledger (its own keys stay): keys
/// of persons erased since the backup was taken are left out — an erasure is never undone — and a
/// backup that holds another key for a person than the ledger's is refused whole.
pub fn restore(service: &crate::service::Service, file: &Path) -> Result<KeysCopied, String> {
    let backup = person_keys::read_file(file).map_err(|e| e.to_string())?;
    let keys = service.person_keys();
    let _writing = keys.writes.lock().expect("person keys write lock");
    let mut merged = keys.all_keys();
    let mut copied = KeysCopied { keys: 0, skipped_erased: 0 };
    for (person, key) in backup {
        if keys.is_erased(&person) {
            copied.skipped_erased += 1;
            continue;
        }
        match merged.get(&person) {
            Some(held) if *held != key => {
                return Err(format!(
                    "{}: holds another key for {person} than the ledger's; nothing was restored",
                    file.display()
                ))
            }
            Some(_) => {}
            None => {
                merged.insert(person, key);
                copied.keys += 1;
            }
        }
    }
    keys.write(&merged).map_err(|e| e.to_string())?;
    keys.ring().keys = merged;
    Ok(copied)
}
