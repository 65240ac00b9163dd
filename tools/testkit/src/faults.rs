//! Fault injection for the ledger's files: flip a bit or cut a file short anywhere in any file sled or
//! the ledger writes, or leave a torn last group in the record copy, then check the one promise: the
//! ledger either opens with every acknowledged event (and a full verification either passes or names
//! the damage), or refuses with one clear line — and in both damaged cases `recover` brings back every
//! acknowledged event and verifies. A silent loss (opening below the acknowledged head), a reused
//! sequence number or a panic is a failure.
//!
//! Positions are sampled from a seed: the start, the end and random points of every file, so a run is
//! repeatable and a longer run (`tools/faults`) simply samples more.

use std::path::{Path, PathBuf};

use kpi_ledger::chain::Head;
use kpi_ledger::store::{Ledger, LedgerOptions, TailCheck};

/// One damage done to one file of a closed ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// Flips bit `bit` of the byte at `offset`.
    Flip { file: PathBuf, offset: u64, bit: u8 },
    /// Cuts the file to `len` bytes.
    Truncate { file: PathBuf, len: u64 },
    /// Appends the first `bytes` bytes of a group that was being written when the process died (its
    /// frames in the record copy; sled never saw it, nobody was answered): `events` events after
    /// event `after`, taken whole or not at all.
    TornGroup { frames: Vec<u8>, bytes: usize, after: u64, events: u64 },
}

impl Injection {
    /// Whether a ledger that ends at `head` took a torn group whole or not at all (a part of it would
    /// be a half-applied atomic batch).
    fn kept_atomic(&self, head: Head) -> Result<(), String> {
        match self {
            Injection::TornGroup { after, events, .. } if head.seq > *after && head.seq < after + events => {
                Err(format!(
                    "event {} is inside the torn group of events {} to {}: a batch half applied",
                    head.seq,
                    after + 1,
                    after + events
                ))
            }
            _ => Ok(()),
        }
    }
}

/// What became of one injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Opened with every acknowledged event, and a full verification passed.
    OpenedIntact,
    /// Opened with every acknowledged event; the full verification named the damage, and `recover`
    /// restored it.
    VerifyCaughtThenRecovered,
    /// Refused to open with a clear line; `recover` restored every acknowledged event.
    RefusedThenRecovered,
}

/// A broken promise, with what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub injection: String,
    pub what: String,
}

/// A small deterministic generator (SplitMix64), so runs repeat from their seed.
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Seeded {
        Seeded(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }
}

/// Every file of the ledger at `dir` that sled or the ledger writes (not the key, not the lock).
pub fn ledger_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.retain(|file| {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        name != "checkpoint-signing-key.json" && name != kpi_ledger::store::LOCK_FILE
    });
    files.sort();
    files
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            files.push(path.strip_prefix(root).expect("below the root").to_owned());
        }
    }
}

/// `per_file` injections for every file of `dir`: flips and truncations at its start, its end and
/// random points between.
pub fn sample(dir: &Path, per_file: usize, random: &mut Seeded) -> Vec<Injection> {
    let mut injections = Vec::new();
    for file in ledger_files(dir) {
        let len = std::fs::metadata(dir.join(&file)).expect("a file").len();
        if len == 0 {
            continue;
        }
        for index in 0..per_file {
            let offset = match index % 4 {
                0 => random.below(len.min(64)),
                1 => len - 1 - random.below(len.min(64)),
                _ => random.below(len),
            };
            let injection = if index % 3 == 2 {
                Injection::Truncate { file: file.clone(), len: offset }
            } else {
                Injection::Flip { file: file.clone(), offset, bit: random.below(8) as u8 }
            };
            injections.push(injection);
        }
    }
    injections
}

impl Injection {
    pub fn apply(&self, dir: &Path) {
        match self {
            Injection::Flip { file, offset, bit } => {
                let path = dir.join(file);
                let mut bytes = std::fs::read(&path).expect("the file reads");
                bytes[*offset as usize] ^= 1 << bit;
                std::fs::write(&path, bytes).expect("the file writes");
            }
            Injection::Truncate { file, len } => {
                let file = std::fs::File::options().write(true).open(dir.join(file)).expect("the file opens");
                file.set_len(*len).expect("the file is cut");
            }
            Injection::TornGroup { frames, bytes, .. } => {
                use std::io::Write;
                let path = kpi_ledger::store::segment::path(dir);
                let mut file = std::fs::File::options().append(true).open(path).expect("the copy opens");
                file.write_all(&frames[..*bytes]).expect("the torn group is written");
            }
        }
    }
}

fn options() -> LedgerOptions {
    LedgerOptions { tail_check: TailCheck::Newest(1_000), ..LedgerOptions::default() }
}

/// Copies a closed ledger directory.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the copy's directory");
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a file copies");
        }
    }
}

/// What was acknowledged before the damage: the last event's sequence number, and its hash when known
/// (a killed process reports sequence numbers only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acknowledged {
    pub seq: u64,
    pub hash: Option<kpi_ledger::chain::Hash>,
}

impl From<Head> for Acknowledged {
    fn from(head: Head) -> Acknowledged {
        Acknowledged { seq: head.seq, hash: Some(head.hash) }
    }
}

impl Acknowledged {
    /// Whether `head` keeps every acknowledged event without a fork at the acknowledged one.
    fn kept_by(&self, head: Head) -> Result<(), String> {
        if head.seq < self.seq {
            return Err(format!(
                "event {} is below the acknowledged {}: acknowledged events were lost",
                head.seq, self.seq
            ));
        }
        match self.hash {
            Some(hash) if head.seq == self.seq && head.hash != hash => {
                Err(format!("event {} has another hash than the acknowledged one: a fork", head.seq))
            }
            _ => Ok(()),
        }
    }
}

/// Damages a copy of the closed ledger `pristine` in `scratch`, and checks the promise.
pub fn check(
    pristine: &Path,
    scratch: &Path,
    acknowledged: Acknowledged,
    injection: &Injection,
) -> Result<Outcome, Failure> {
    let _ = std::fs::remove_dir_all(scratch);
    copy_dir(pristine, scratch);
    injection.apply(scratch);
    let fail = |what: String| Failure { injection: format!("{injection:?}"), what };
    let opened = std::panic::catch_unwind(|| Ledger::open_with(scratch, options()))
        .map_err(|_| fail("opening panicked".into()))?;
    match opened {
        Ok(ledger) => {
            acknowledged.kept_by(ledger.head()).map_err(|what| fail(format!("opened silently at {what}")))?;
            injection.kept_atomic(ledger.head()).map_err(|what| fail(format!("opened at {what}")))?;
            let verified = ledger.verify(&|_| {});
            drop(ledger);
            match verified {
                Ok(_) => Ok(Outcome::OpenedIntact),
                Err(_) => recover_and_check(scratch, acknowledged, injection)
                    .map(|()| Outcome::VerifyCaughtThenRecovered)
                    .map_err(fail),
            }
        }
        Err(error) => {
            let message = error.to_string();
            if message.contains('\n') || message.is_empty() {
                return Err(fail(format!("the refusal is not one clear line: {message:?}")));
            }
            recover_and_check(scratch, acknowledged, injection).map(|()| Outcome::RefusedThenRecovered).map_err(fail)
        }
    }
}

/// Runs `recover`, then checks that the ledger opens at the acknowledged head, verifies, and gives the
/// next append the next sequence number.
fn recover_and_check(dir: &Path, acknowledged: Acknowledged, injection: &Injection) -> Result<(), String> {
    let recovered = std::panic::catch_unwind(|| kpi_ledger::store::recovery::recover(dir, false, &|_| {}))
        .map_err(|_| "recover panicked".to_string())?
        .map_err(|error| format!("recover refused: {error}"))?;
    acknowledged.kept_by(recovered.head).map_err(|what| format!("recover ended at {what}"))?;
    injection.kept_atomic(recovered.head).map_err(|what| format!("recover ended at {what}"))?;
    let ledger =
        Ledger::open_with(dir, options()).map_err(|error| format!("the recovered ledger does not open: {error}"))?;
    ledger.verify(&|_| {}).map_err(|failure| format!("the recovered ledger does not verify: {failure}"))?;
    let head = ledger.head();
    acknowledged.kept_by(head).map_err(|what| format!("the recovered ledger opens at {what}"))?;
    let next = crate::chains::events(head, "fault-probe", 1, 1);
    let appended = ledger
        .append(kpi_ledger::store::SealedAppend { events: next, command: None })
        .map_err(|error| format!("the recovered ledger refuses the next append: {error}"))?;
    if appended.first_seq != head.seq + 1 {
        return Err(format!("the next append took event {}, not {}", appended.first_seq, head.seq + 1));
    }
    Ok(())
}

/// Counts of a campaign's outcomes, and its failures.
#[derive(Debug, Default)]
pub struct Tally {
    pub outcomes: std::collections::BTreeMap<Outcome, u64>,
    pub failures: Vec<Failure>,
}

impl Tally {
    pub fn add(&mut self, result: Result<Outcome, Failure>) {
        match result {
            Ok(outcome) => *self.outcomes.entry(outcome).or_default() += 1,
            Err(failure) => self.failures.push(failure),
        }
    }

    pub fn injections(&self) -> u64 {
        self.outcomes.values().sum::<u64>() + self.failures.len() as u64
    }
}

/// The record-copy frames of a group of `events` synthetic events after `head`: what a process that
/// died mid-group may have left behind.
pub fn next_group_frames(head: Head, events: u64) -> Vec<u8> {
    let mut frames = Vec::new();
    for event in crate::chains::events(head, "torn-group", 1, events) {
        kpi_ledger::store::segment::encode_frame(event.seq, &event.record, &mut frames);
    }
    kpi_ledger::store::segment::close_group(&mut frames);
    frames
}

/// The length of the first `count` whole frames of `frames` (as `next_group_frames` gives them).
pub fn whole_frames_len(frames: &[u8], count: usize) -> usize {
    (0..count).fold(0, |at, _| {
        let len = u32::from_le_bytes(frames[at + 2..at + 6].try_into().expect("a frame's length field"));
        at + kpi_ledger::store::segment::FRAME_OVERHEAD + len as usize
    })
}

/// A closed ledger of `groups` group commits of `per_group` synthetic events each, in `dir`; its head.
pub fn build_ledger(dir: &Path, groups: u64, per_group: u64) -> Head {
    let ledger = Ledger::open(dir).expect("a new ledger opens");
    for group in 0..groups {
        let stream = format!("stream-{}", group % 4);
        let version = ledger.stream_version(&stream).expect("a version");
        let events = crate::chains::events(ledger.head(), &stream, version + 1, per_group);
        ledger.append(kpi_ledger::store::SealedAppend { events, command: None }).expect("an append");
    }
    let head = ledger.head();
    ledger.close();
    head
}

/// A campaign: `per_file` sampled injections into every file, and torn last groups of every length
/// class, each on a fresh copy of the ledger at `pristine`.
pub fn campaign(pristine: &Path, scratch: &Path, acknowledged: Acknowledged, per_file: usize, seed: u64) -> Tally {
    let mut random = Seeded::new(seed);
    let mut injections = sample(pristine, per_file, &mut random);
    // The torn group follows the head the ledger reopens at (a killed ledger may hold a durable group
    // nobody was answered for); found on a copy, so the pristine ledger stays as it was left.
    let probe = scratch.with_extension("probe");
    let _ = std::fs::remove_dir_all(&probe);
    copy_dir(pristine, &probe);
    let head = Ledger::open(&probe).map(|ledger| ledger.head()).expect("the pristine ledger opens");
    let _ = std::fs::remove_dir_all(&probe);
    let events = 3;
    let frames = next_group_frames(head, events);
    // Cut inside a frame, and right after the second of three whole frames (what a write stopped by a
    // kill between two frames leaves).
    let two_whole = whole_frames_len(&frames, 2);
    for bytes in [1, 7, frames.len() / 2, two_whole, frames.len() - 1, frames.len()] {
        injections.push(Injection::TornGroup { frames: frames.clone(), bytes, after: head.seq, events });
    }
    let mut tally = Tally::default();
    for injection in &injections {
        tally.add(check(pristine, scratch, acknowledged, injection));
    }
    tally
}
