//! Keeping the two copies of the chain in step: the sled index and the record copy (`segment`).
//!
//! - On open (`attach`): the heads and the last acknowledged group of both copies are compared. sled
//!   coming back shorter than the copy (it drops a damaged log tail as if it were a torn write) is
//!   rolled forward from the copy, whole groups only; bytes after the copy's last whole group (even
//!   whole frames of a group cut short) are a torn write that was never acknowledged, and are set
//!   aside in a file of their own, so an atomic batch is never half applied. Any other disagreement is
//!   refused with one line that names it, and nothing is changed.
//! - `recover` rebuilds both copies from whatever of each still verifies, event by event, into a
//!   staging directory, sets the old files aside (never deletes them) and moves the rebuilt ones in.
//! - `verify_copy` walks the whole copy for `verify`; `verify_copy_alone` checks a copy on read-only
//!   media without opening sled at all.
//!
//! Invariant: nothing here opens a ledger below a head it acknowledged, and nothing deletes a byte:
//! what is replaced is kept beside the ledger.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::chain::{link_hash, Hash, Record, GENESIS_HASH};
use crate::store::durability::{sync_directory, Syncer};
use crate::store::keys::{self, HeadRecord, SegmentMark};
use crate::store::rebuild::{CopyTarget, Rebuilder};
use crate::store::segment::{self, FrameReader, ReadEnd, Segment, FILE_HEADER, FILE_NAME};
use crate::store::types::Head;
use crate::store::verify::{ChainFault, Verified, VerifyFailure};
use crate::store::{merkle_nodes, DurabilityStats, StoreError};

/// The one line every refusal to open ends with.
pub const RECOVER_HINT: &str =
    "nothing was changed; `kpi-ledger recover` rebuilds the ledger from the intact copy and \
                                verifies it";

fn damaged(what: impl Into<String>) -> StoreError {
    StoreError::Damaged(what.into())
}

fn no_check(_: u64, _: &crate::chain::Record<'_>, _: &crate::chain::EventBody) -> Result<(), String> {
    Ok(())
}

/// Brings the record copy in step with the index on open; returns the head (rolled forward where the
/// copy held acknowledged events the index had lost) and the copy, ready to append to.
pub(crate) fn attach(
    dir: &Path,
    db: &sled::Db,
    tree: &sled::Tree,
    syncer: &mut Syncer,
    stored: Option<HeadRecord>,
) -> Result<(Head, Segment), StoreError> {
    let head = stored.map_or(Head::EMPTY, |h| Head { seq: h.seq, hash: h.hash, recorded_at: h.recorded_at });
    let exists = segment::path(dir).exists();
    let Some(mark) = stored.and_then(|stored| stored.segment) else {
        // A ledger from before the record copy (or a new one): write the copy from the index.
        let mut copy = match exists {
            false => Segment::create(dir)?,
            true if copy_len(dir)? == FILE_HEADER.len() as u64 && segment::has_header(dir)? => {
                Segment::open(dir, FILE_HEADER.len() as u64)?
            }
            true => {
                return Err(damaged(format!(
                    "the index records no position in {FILE_NAME}, which holds records (event {} is the index's head)",
                    head.seq
                )))
            }
        };
        let group_start = copy.len();
        copy_index_into(tree, head, &mut copy)?;
        let mark = SegmentMark { group_start, end: copy.len() };
        tree.insert(keys::HEAD, &keys::encode_head_marked(head.seq, &head.hash, head.recorded_at, mark)[..])?;
        db.flush()?;
        syncer.sync(&DurabilityStats::default())?;
        return Ok((head, copy));
    };
    if !exists {
        return Err(damaged(format!("{FILE_NAME} is missing; the index says it holds events 1 to {}", head.seq)));
    }
    if !segment::has_header(dir)? {
        return Err(damaged(format!("{FILE_NAME} does not start with its header")));
    }
    let len = copy_len(dir)?;
    if len < mark.end {
        return Err(damaged(format!(
            "{FILE_NAME} ends at byte {len}, before the end of event {} (byte {}): the copy lost acknowledged events",
            head.seq, mark.end
        )));
    }
    let groups_marked = check_last_group(dir, tree, head, mark)?;
    let (head, end) = if len > mark.end {
        roll_forward(dir, db, tree, syncer, head, mark, len, groups_marked)?
    } else {
        (head, mark.end)
    };
    Ok((head, Segment::open(dir, end)?))
}

fn copy_len(dir: &Path) -> Result<u64, StoreError> {
    Ok(std::fs::metadata(segment::path(dir))?.len())
}

/// Appends every record of the index to a new copy, checking the chain as it goes.
fn copy_index_into(tree: &sled::Tree, head: Head, copy: &mut Segment) -> Result<(), StoreError> {
    let mut frames = Vec::new();
    let mut prev = GENESIS_HASH;
    for entry in tree.range(keys::event(1)..=keys::event(head.seq.max(1))) {
        if frames.len() > 8 << 20 {
            copy.append(&frames)?;
            frames.clear();
        }
        let (key, value) = entry?;
        let seq = keys::event_seq(&key).ok_or_else(|| damaged("malformed event key in the index"))?;
        let record = Record::decode(&value).map_err(|e| damaged(format!("index, event {seq}: {e}")))?;
        if record.prev_hash != prev || !record.hash_matches(seq) {
            return Err(damaged(format!("index, event {seq}: the chain is broken; run `kpi-ledger verify`")));
        }
        prev = record.hash;
        segment::encode_frame(seq, &value, &mut frames);
    }
    // The whole index is one group: its last frame, always in the last append, ends it.
    segment::close_group(&mut frames);
    copy.append(&frames)?;
    copy.sync()?;
    Ok(())
}

/// The frames of the last acknowledged group must be exactly the index's records of it. Returns
/// whether the copy marks its groups' ends (its last group ends with a `KE` frame, or it holds no
/// frame yet); a copy written before groups were marked does not.
fn check_last_group(dir: &Path, tree: &sled::Tree, head: Head, mark: SegmentMark) -> Result<bool, StoreError> {
    if mark.group_start == mark.end {
        return Ok(true);
    }
    let mut reader = FrameReader::open(dir, mark.group_start)?;
    let mut last = None;
    while reader.offset() < mark.end {
        let frame = match reader.next_frame()? {
            Ok(frame) => frame,
            Err(ReadEnd::Damaged { offset, error }) => {
                return Err(damaged(format!(
                    "{FILE_NAME} is damaged at byte {offset} ({error}), inside the last acknowledged group"
                )))
            }
            Err(ReadEnd::Clean) => break,
        };
        let indexed = tree.get(keys::event(frame.seq))?;
        if indexed.as_deref() != Some(frame.record.as_slice()) {
            return Err(damaged(format!("{FILE_NAME} and the index disagree about event {}", frame.seq)));
        }
        last = Some(frame);
    }
    match last {
        Some(frame) if frame.seq == head.seq && frame.end == mark.end => Ok(frame.ends_group),
        _ => {
            Err(damaged(format!("{FILE_NAME} does not end its last group at event {} where the index does", head.seq)))
        }
    }
}

/// Rolls the index forward over the copy's whole groups after `mark` (events the index lost); a torn
/// tail after the last group's end — a part of a group, even of whole frames — is set aside. In a copy
/// whose groups are not marked (its last acknowledged group does not end with a `KE` frame,
/// `groups_marked` false, and none follows), every whole frame counts as a group.
#[allow(clippy::too_many_arguments)]
fn roll_forward(
    dir: &Path,
    db: &sled::Db,
    tree: &sled::Tree,
    syncer: &mut Syncer,
    head: Head,
    mark: SegmentMark,
    len: u64,
    groups_marked: bool,
) -> Result<(Head, u64), StoreError> {
    let whole = whole_frames_end(dir, mark.end, len)?;
    // The tail is what one process left: a group end in it says that process marked its groups.
    let marked = groups_marked || whole.groups_end > mark.end;
    let whole_end = if marked { whole.groups_end } else { whole.frames_end };
    let merkle = crate::chain::merkle::IncrementalTree::load(&merkle_nodes::SledNodes(tree), head.seq)
        .map_err(|e| damaged(format!("the index's Merkle tree at size {}: {e}", head.seq)))?;
    let copy = CopyTarget::Existing { group_start: None, end: mark.end };
    let mut rebuilder = Rebuilder::resume(tree.clone(), head, merkle, copy);
    let mut reader = FrameReader::open(dir, mark.end)?;
    let stats = DurabilityStats::default();
    let mut end = mark.end;
    while end < whole_end {
        let frame = reader.next_frame()?.map_err(|_| damaged(format!("{FILE_NAME} changed while it was read")))?;
        let record = Record::decode(&frame.record)
            .map_err(|e| damaged(format!("{FILE_NAME}, event {} (byte {}): {e}", frame.seq, frame.start)))?;
        rebuilder
            .add(frame.seq, record, &no_check, Some((frame.start, frame.end)))
            .map_err(|reason| damaged(format!("{FILE_NAME}, event {} (byte {}): {reason}", frame.seq, frame.start)))?;
        end = frame.end;
        if rebuilder.batch_full() {
            rebuilder.write_batch(db, syncer, &stats)?;
        }
    }
    if whole_end < len {
        set_aside_torn_tail(dir, whole_end, len)?;
    }
    if rebuilder.head().seq > head.seq {
        rebuilder.write_batch(db, syncer, &stats)?;
        tracing::warn!(
            from = head.seq + 1,
            to = rebuilder.head().seq,
            "the index had lost events that the record copy holds; rolled it forward"
        );
    }
    Ok((rebuilder.head(), end))
}

/// Where the copy's whole frames after a point end, and where the last of them that ends a group
/// does (the point itself when none does).
struct WholeEnds {
    frames_end: u64,
    groups_end: u64,
}

/// Where the copy's whole frames after `from` end: bytes after that are a torn write, unless whole
/// frames follow them (then the copy was damaged, and opening is refused before anything is written).
fn whole_frames_end(dir: &Path, from: u64, len: u64) -> Result<WholeEnds, StoreError> {
    let mut reader = FrameReader::open(dir, from)?;
    let mut groups_end = from;
    loop {
        match reader.next_frame()? {
            Ok(frame) if frame.ends_group => groups_end = frame.end,
            Ok(_) => {}
            Err(ReadEnd::Clean) => return Ok(WholeEnds { frames_end: len, groups_end }),
            Err(ReadEnd::Damaged { offset, error }) => {
                if whole_frame_after(dir, offset + 1, len)? {
                    return Err(damaged(format!(
                        "{FILE_NAME} is damaged at byte {offset} ({error}), and whole frames follow: it was not a torn \
                         write"
                    )));
                }
                return Ok(WholeEnds { frames_end: offset, groups_end });
            }
        }
    }
}

/// Whether a whole, well-formed frame starts anywhere in `from..len` of the copy.
fn whole_frame_after(dir: &Path, from: u64, len: u64) -> Result<bool, StoreError> {
    if from >= len {
        return Ok(false);
    }
    let mut file = File::open(segment::path(dir))?;
    file.seek(SeekFrom::Start(from))?;
    let mut rest = Vec::with_capacity((len - from) as usize);
    file.take(len - from).read_to_end(&mut rest)?;
    Ok((0..rest.len()).any(|at| segment::parses_at(&rest[at..])))
}

/// Moves the copy's bytes `offset..len` into a file of their own beside it and cuts the copy there.
fn set_aside_torn_tail(dir: &Path, offset: u64, len: u64) -> Result<(), StoreError> {
    let aside = dir.join(format!("{FILE_NAME}.torn-at-{offset}"));
    let mut source = File::open(segment::path(dir))?;
    source.seek(SeekFrom::Start(offset))?;
    let mut tail = Vec::new();
    source.take(len - offset).read_to_end(&mut tail)?;
    std::fs::write(&aside, &tail)?;
    File::open(&aside)?.sync_all()?;
    let copy = File::options().write(true).open(segment::path(dir))?;
    copy.set_len(offset)?;
    copy.sync_all()?;
    sync_directory(dir)?;
    tracing::warn!(offset, bytes = tail.len(), file = %aside.display(), "set aside a torn write after the last whole group");
    Ok(())
}

/// Walks the whole copy, checking every frame and link, and that it ends at `head`.
pub(crate) fn verify_copy(dir: &Path, head: Head, progress: &(dyn Fn(u64) + Sync)) -> Result<Verified, VerifyFailure> {
    let verified = verify_copy_alone(dir, progress)?;
    if verified.head.seq != head.seq || verified.head.hash != head.hash {
        let fault = ChainFault::CopyDiffers {
            reason: format!(
                "{FILE_NAME} ends at event {} ({}), the index at event {} ({})",
                verified.head.seq, verified.head.hash, head.seq, head.hash
            ),
        };
        return Err(VerifyFailure { seq: verified.head.seq.min(head.seq) + 1, fault });
    }
    Ok(verified)
}

/// Verifies the copy on its own: every frame whole, every link and hash right, to its last frame.
pub fn verify_copy_alone(dir: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<Verified, VerifyFailure> {
    let fail = |seq: u64, reason: String| VerifyFailure { seq, fault: ChainFault::CopyDamaged { reason } };
    match segment::has_header(dir) {
        Ok(true) => {}
        Ok(false) => return Err(fail(0, format!("{FILE_NAME} does not start with its header"))),
        Err(error) => return Err(fail(0, format!("{FILE_NAME}: {error}"))),
    }
    let mut reader = FrameReader::open(dir, FILE_HEADER.len() as u64).map_err(|e| fail(0, e.to_string()))?;
    let mut head = Head::EMPTY;
    loop {
        let next = head.seq + 1;
        match reader.next_frame().map_err(|e| fail(next, e.to_string()))? {
            Ok(frame) => {
                let record = Record::decode(&frame.record).map_err(|e| fail(next, e.to_string()))?;
                if frame.seq != next {
                    return Err(VerifyFailure { seq: next, fault: ChainFault::Gap { found_seq: frame.seq } });
                }
                if record.prev_hash != head.hash {
                    let fault = ChainFault::BrokenLink { expected_prev: head.hash, found_prev: record.prev_hash };
                    return Err(VerifyFailure { seq: next, fault });
                }
                let computed = link_hash(&record.prev_hash, next, record.body);
                if computed != record.hash {
                    let fault = ChainFault::HashMismatch { stored: record.hash, computed };
                    return Err(VerifyFailure { seq: next, fault });
                }
                let recorded_at = crate::chain::EventBody::from_bytes(record.body)
                    .map(|body| body.recorded_at)
                    .unwrap_or(head.recorded_at);
                head = Head { seq: next, hash: record.hash, recorded_at };
                if next.is_multiple_of(100_000) {
                    progress(next);
                }
            }
            Err(ReadEnd::Clean) => break,
            Err(ReadEnd::Damaged { offset, error }) => {
                return Err(fail(next, format!("{FILE_NAME} is damaged at byte {offset}: {error}")))
            }
        }
    }
    progress(head.seq);
    Ok(Verified { events_checked: head.seq, head })
}

/// What `recover` did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    pub head: Head,
    /// Events taken from the record copy where the index's were missing or damaged.
    pub from_copy_only: u64,
    /// Events taken from the index where the copy's were missing or damaged.
    pub from_index_only: u64,
    /// Where the replaced files were put.
    pub set_aside: PathBuf,
    /// The highest event either copy claimed; above `head` when both lost the same events and the
    /// operator accepted the loss.
    pub claimed_seq: u64,
}

/// One copy's candidate for an event.
fn candidate(seq: u64, prev: &Hash, bytes: Option<&[u8]>) -> Option<Vec<u8>> {
    let bytes = bytes?;
    let record = Record::decode(bytes).ok()?;
    (record.prev_hash == *prev && record.hash_matches(seq)).then(|| bytes.to_vec())
}

/// The index as `recover` reads it: opened if sled still opens (a panic inside sled is caught), with
/// the head it claims and the key records to carry over.
struct IndexSource {
    _db: sled::Db,
    tree: sled::Tree,
    claimed: u64,
}

fn open_index_source(dir: &Path) -> Option<IndexSource> {
    if !dir.join("db").exists() {
        return None;
    }
    let opened = crate::store::guard_sled(|| {
        let db = crate::store::open_sled(dir)?;
        let tree = db.open_tree(crate::store::TREE_NAME)?;
        let claimed = tree.get(keys::HEAD)?.as_deref().and_then(keys::decode_head).map_or(0, |head| head.seq);
        Ok(IndexSource { _db: db, tree, claimed })
    });
    opened
        .map_err(|error| tracing::warn!(%error, "the index does not open; recovering from the record copy alone"))
        .ok()
}

/// Rebuilds the ledger at `dir` from both copies (see the module comment). Refuses, changing nothing,
/// when the copies fork (two different valid events at one sequence number) or when both lost events
/// either acknowledged, unless `accept_loss`.
pub fn recover(dir: &Path, accept_loss: bool, progress: &dyn Fn(u64)) -> Result<Recovered, StoreError> {
    let _lock = crate::store::DirLock::acquire(dir)?;
    let index = open_index_source(dir);
    let (mut copy, copy_through) = match segment::has_header(dir) {
        Ok(true) => (Some(FrameReader::open(dir, FILE_HEADER.len() as u64)?), copy_groups_through(dir)?),
        _ => (None, 0),
    };
    let mut copy_claimed = 0;
    let mut next_frame = |seq: u64| -> Option<Vec<u8>> {
        let reader = copy.as_mut()?;
        loop {
            match reader.next_frame() {
                Ok(Ok(frame)) if frame.seq <= copy_through => {
                    copy_claimed = copy_claimed.max(frame.seq);
                    if frame.seq == seq {
                        return Some(frame.record);
                    }
                    if frame.seq > seq {
                        return None;
                    }
                }
                _ => {
                    copy = None;
                    return None;
                }
            }
        }
    };

    let staging = dir.join(".recovering");
    if staging.exists() {
        // Left by a recover that did not finish: it is ours and holds nothing else.
        std::fs::remove_dir_all(&staging)?;
    }
    let db = crate::store::open_sled(&staging)?;
    let tree = db.open_tree(crate::store::TREE_NAME)?;
    tree.insert(keys::FORMAT, keys::FORMAT_MARKER)?;
    let mut syncer = Syncer::open(&staging)?;
    let stats = DurabilityStats::default();
    let target = CopyTarget::Write { segment: Segment::create(&staging)?, pending: Vec::new() };
    let mut rebuilder = Rebuilder::new(tree.clone(), target);
    let (mut from_copy_only, mut from_index_only) = (0, 0);
    loop {
        let head = rebuilder.head();
        let seq = head.seq + 1;
        let from_copy = candidate(seq, &head.hash, next_frame(seq).as_deref());
        let indexed = index.as_ref().and_then(|index| index.tree.get(keys::event(seq)).ok().flatten());
        let from_index = candidate(seq, &head.hash, indexed.as_deref());
        let chosen = match (from_copy, from_index) {
            (Some(a), Some(b)) if a != b => {
                return Err(StoreError::Unrecoverable(format!(
                    "the index and {FILE_NAME} hold two different valid events {seq}: the ledger was forked; nothing \
                     was changed"
                )))
            }
            (Some(a), Some(_)) => a,
            (Some(a), None) => {
                from_copy_only += 1;
                a
            }
            (None, Some(b)) => {
                from_index_only += 1;
                b
            }
            (None, None) => break,
        };
        let record = Record::decode(&chosen).expect("a candidate decodes");
        rebuilder
            .add(seq, record, &no_check, None)
            .map_err(|reason| StoreError::Unrecoverable(format!("event {seq}: {reason}; nothing was changed")))?;
        if rebuilder.batch_full() {
            rebuilder.write_batch(&db, &mut syncer, &stats)?;
            progress(seq);
        }
    }
    let head = rebuilder.head();
    let claimed_seq = copy_claimed.max(index.as_ref().map_or(0, |index| index.claimed));
    if claimed_seq > head.seq && !accept_loss {
        drop(rebuilder);
        drop(tree);
        drop(db);
        let _ = std::fs::remove_dir_all(&staging);
        return Err(StoreError::Unrecoverable(format!(
            "both copies lost events {} to {claimed_seq}; events 1 to {} are intact. Nothing was changed; \
             `kpi-ledger recover --accept-loss` keeps the intact events and sets everything else aside",
            head.seq + 1,
            head.seq
        )));
    }
    rebuilder.write_batch(&db, &mut syncer, &stats)?;
    if let Some(index) = &index {
        for key in [keys::SIGNING_KEY, keys::LAST_SIGNED_CHECKPOINT] {
            if let Ok(Some(value)) = index.tree.get(key) {
                tree.insert(key, value)?;
            }
        }
        db.flush()?;
        syncer.sync(&stats)?;
    }
    drop(rebuilder);
    drop(tree);
    drop(db);
    drop(index);
    let set_aside = swap_in(dir, &staging)?;
    progress(head.seq);
    Ok(Recovered { head, from_copy_only, from_index_only, set_aside, claimed_seq })
}

/// The last event of the copy's last whole group, read up to its first damage: frames after it are
/// part of a group cut short, never acknowledged, and are not taken (a part of an atomic batch would
/// be). In a copy written before groups were marked, every whole frame counts.
fn copy_groups_through(dir: &Path) -> Result<u64, StoreError> {
    let mut reader = FrameReader::open(dir, FILE_HEADER.len() as u64)?;
    let (mut last_frame, mut last_group_end) = (0, None);
    while let Ok(frame) = reader.next_frame()? {
        last_frame = frame.seq;
        if frame.ends_group {
            last_group_end = Some(frame.seq);
        }
    }
    Ok(last_group_end.unwrap_or(last_frame))
}

/// The files of a ledger that `recover` replaces (sled's, and the record copy).
fn is_ledger_file(name: &str) -> bool {
    matches!(name, "conf" | "db" | "blobs" | FILE_NAME) || name.starts_with("snap.")
}

/// Moves the ledger files of `dir` into `dir/damaged-<time>/` and the staged ones into `dir`.
fn swap_in(dir: &Path, staging: &Path) -> Result<PathBuf, StoreError> {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut aside = dir.join(format!("damaged-{seconds}"));
    for attempt in 1.. {
        if !aside.exists() {
            break;
        }
        aside = dir.join(format!("damaged-{seconds}-{attempt}"));
    }
    std::fs::create_dir(&aside)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_ledger_file(&name.to_string_lossy()) {
            std::fs::rename(entry.path(), aside.join(&name))?;
        }
    }
    sync_directory(&aside)?;
    for entry in std::fs::read_dir(staging)? {
        let entry = entry?;
        std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
    }
    sync_directory(dir)?;
    std::fs::remove_dir(staging)?;
    sync_directory(dir)?;
    Ok(aside)
}
