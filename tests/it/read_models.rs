//! The read models of a running ledger (issue 4, "Replay"): answers as of any point equal a fold of
//! that prefix from scratch; persisted snapshots are used, checked against the chain, and a snapshot
//! that does not match is dropped and rebuilt rather than trusted. And who may read what is judged
//! here, in the service, for every adapter (docs/RULES.md §11).

use std::sync::Arc;

use kpi_ledger::chain::{decode, Record};
use kpi_ledger::domain::{PeriodId, UnitCode};
use kpi_ledger::projection::{AsOf, Projection};
use kpi_ledger::service::queries::{RankingScope, View};
use kpi_ledger::service::read_models::{open_projection_preloaded, Preloaded, ReadModels};
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds, Service};
use kpi_ledger::store::Ledger;
use kpi_testkit::story::year::year_story;

const INTERVAL: u64 = 64;

fn year_ledger(dir: &std::path::Path) -> Arc<Ledger> {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("read models"))).unwrap();
    for step in year_story() {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    ledger
}

/// The fold of the first `seq` events, straight from the ledger, with no snapshot.
fn folded(ledger: &Ledger, seq: u64) -> Projection {
    let mut projection = Projection::new();
    let decoder = |seq: u64, record: Record<'_>| {
        decode(seq, &record).map_err(|e| kpi_ledger::store::StoreError::Corrupt(e.to_string()))
    };
    ledger
        .for_each_decoded(1, seq, decoder, |event| {
            projection.apply(&event).unwrap();
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    projection
}

/// Every projection as of `seqs` equals the fold of that prefix from scratch.
fn assert_as_of_is_the_fold(read_models: &ReadModels, ledger: &Ledger, seqs: impl IntoIterator<Item = u64>) {
    for seq in seqs {
        let (_, whole) = read_models.with_projection(AsOf::Seq(seq), Clone::clone).unwrap();
        assert_eq!(whole, folded(ledger, seq), "as of {seq}");
    }
}

#[test]
fn answers_as_of_any_point_equal_a_fold_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let head = ledger.head().seq;
    let (unit, period) = (UnitCode::new("YS07").unwrap(), PeriodId::parse("2017-06").unwrap());
    for seq in [1, INTERVAL - 1, INTERVAL, INTERVAL + 1, 500, 763, 767, head / 2, head - 1, head] {
        let seq = seq.min(head).min(1_000);
        let expected = folded(&ledger, seq);
        let (at, scorecard) = read_models.with_projection(AsOf::Seq(seq), |p| p.scorecard(&unit, period)).unwrap();
        assert_eq!(at.seq, seq);
        assert_eq!(scorecard, expected.scorecard(&unit, period), "as of {seq}");
        let (_, whole) = read_models.with_projection(AsOf::Seq(seq), Clone::clone).unwrap();
        assert_eq!(whole, expected, "the whole projection as of {seq}");
    }
    let instant = kpi_ledger::domain::Timestamp::from_civil(2017, 7, 12, 23, 59, 59).unwrap();
    let by_instant = read_models.seq_of(AsOf::Instant(instant)).unwrap();
    let expected =
        (1..=ledger.head().seq).filter(|seq| ledger.recorded_at(*seq).unwrap().unwrap() <= instant).max().unwrap();
    assert_eq!(by_instant, expected, "an instant is the last event recorded on or before it");
    let ranking = read_models.ranking(&RankingScope::OfUnit(unit), period, AsOf::Instant(instant)).unwrap();
    assert_eq!(ranking.as_of_seq, expected);
}

#[test]
fn on_the_articles_day_the_third_quarter_stands_on_published_months_unless_provisional() {
    let dir = tempfile::tempdir().unwrap();
    let read_models = ReadModels::open_with_interval(year_ledger(dir.path()), INTERVAL).unwrap();
    // 2017-08-10: July is assessed (tiers on 08-03, the other counties' deductions on 08-04) but is
    // published only on 08-12.
    let day = AsOf::EndOfDay { year: 2017, month: 8, day: 10 };
    let (ys07, q3) = (UnitCode::new("YS07").unwrap(), PeriodId::parse("2017-Q3").unwrap());
    let scope = RankingScope::OfUnit(ys07.clone());
    let published = read_models.ranking(&scope, q3, day).unwrap().value;
    assert!(published.standings.is_empty() && published.provisional_periods.is_empty(), "{published:#?}");
    let provisional = read_models.ranking(&scope, q3, View::provisional(day)).unwrap().value;
    assert_eq!(provisional.provisional_periods, vec![PeriodId::parse("2017-07").unwrap()]);
    let standing = provisional.standing(&ys07).expect("YS07 is ranked on July so far");
    assert_eq!(standing.final_score, kpi_ledger::domain::Points(9870));
    let year = read_models.scoreboard(&ys07, PeriodId::parse("2017").unwrap(), day).unwrap().value;
    assert_eq!((year.base_periods.len(), year.provisional_periods.len()), (6, 0), "January to June");
    // Once July is published (08-12) it counts without asking.
    let later = AsOf::EndOfDay { year: 2017, month: 8, day: 12 };
    let q3_later = read_models.ranking(&scope, q3, later).unwrap().value;
    assert_eq!(q3_later.standing(&ys07).map(|standing| standing.final_score.hundredths()), Some(9870));
    assert!(q3_later.provisional_periods.is_empty());
}

#[test]
fn snapshots_are_persisted_checked_and_a_bad_one_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let head = ledger.head().seq;
    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let boundary = (head / INTERVAL) * INTERVAL;
    let (stored_at, _) = ledger.snapshot_at_or_before(head).unwrap().expect("snapshots were stored while folding");
    assert_eq!(stored_at, boundary);
    drop(read_models);

    // A snapshot whose bytes were changed (here: the one at the newest boundary) must not be trusted.
    let (_, bytes) = ledger.snapshot_at_or_before(boundary).unwrap().unwrap();
    let mut forged = kpi_ledger::projection::Snapshot::from_bytes(&bytes).unwrap();
    forged.seq += 1;
    let forged = forged.to_bytes();
    ledger.put_snapshot(boundary, &forged).unwrap();
    let reopened = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let (_, current) = reopened.with_projection(AsOf::Latest, Clone::clone).unwrap();
    assert_eq!(current, folded(&ledger, head), "rebuilt from an older snapshot and the chain");
    let (stored_at, bytes) = ledger.snapshot_at_or_before(head).unwrap().unwrap();
    assert_eq!(stored_at, boundary);
    assert_ne!(bytes, forged, "the mismatching snapshot was dropped and taken again from the chain");
    let boundary_hash = ledger.event_at(boundary).unwrap().unwrap().hash;
    let retaken =
        kpi_ledger::projection::Snapshot::from_bytes(&bytes).unwrap().verified(boundary, boundary_hash).unwrap();
    assert_eq!(retaken, folded(&ledger, boundary));
}

#[test]
fn a_server_folds_its_history_once_and_answers_as_of_anywhere_from_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let head = ledger.head().seq;
    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    // Reopened, the read models start from the newest snapshot: no checkpoint before it yet.
    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    assert_eq!(read_models.checkpoints(), vec![head], "only where it opened");
    // Before the history is folded, as-of reads start from stored snapshots, and keep a few of them.
    assert_as_of_is_the_fold(&read_models, &ledger, (1..8).map(|n| n * (INTERVAL + 5)));
    let kept = read_models.checkpoints();
    let loaded_max = kpi_ledger::limits::AS_OF_LOADED_SNAPSHOTS_MAX;
    assert_eq!(kept.len(), loaded_max + 1, "the newest {loaded_max} loaded, and where it opened: {kept:?}");
    assert_eq!(kept[..loaded_max], [4, 5, 6, 7].map(|n| n * INTERVAL), "the newest loaded: {kept:?}");
    read_models.fold_history().unwrap();
    let kept = read_models.checkpoints();
    assert_eq!(kept, (1..=head / INTERVAL).map(|n| n * INTERVAL).collect::<Vec<_>>(), "every interval, and no more");
    assert_as_of_is_the_fold(
        &read_models,
        &ledger,
        [1, INTERVAL - 1, INTERVAL, INTERVAL + 1, head / 2, head - 1, head],
    );
    let (_, current) = read_models.with_projection(AsOf::Latest, Clone::clone).unwrap();
    assert_eq!(current, folded(&ledger, head), "the history's fold took the opened projection's place");

    // With a checkpoint at every event, their number stays bounded and evenly spread.
    let read_models = ReadModels::open_with_interval(ledger.clone(), 1).unwrap();
    read_models.fold_history().unwrap();
    let kept = read_models.checkpoints();
    let max = kpi_ledger::limits::AS_OF_CHECKPOINTS_MAX;
    assert!(kept.len() <= max && kept.len() > max / 2, "{} kept", kept.len());
    let spacing = kept[0];
    assert!(spacing.is_power_of_two() && spacing > 1, "the spacing doubled from 1 to {spacing}");
    assert!(kept.iter().enumerate().all(|(n, at)| *at == (n as u64 + 1) * spacing), "{kept:?}");
    assert_as_of_is_the_fold(&read_models, &ledger, [1, spacing + 1, head / 3, head]);
}

#[test]
fn a_snapshot_whose_facts_differ_from_the_chains_fold_is_caught_by_the_history_fold_and_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, head) = year_ledger_with_a_forged_snapshot(dir.path());

    let read_models = ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap();
    let (_, opened) = read_models.with_projection(AsOf::Latest, Clone::clone).unwrap();
    assert_ne!(opened, folded(&ledger, head), "the forged snapshot was opened from (its stamp holds)");
    let error = read_models.fold_history().unwrap_err().to_string();
    assert!(error.contains("differs"), "{error}");
    let (_, current) = read_models.with_projection(AsOf::Latest, Clone::clone).unwrap();
    assert_eq!(current, folded(&ledger, head), "the fold from the first event is served");
}

#[test]
fn a_snapshot_read_ahead_of_the_open_is_used_only_where_it_matches_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = year_ledger(dir.path());
    let head = ledger.head().seq;
    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    let newest = (head / INTERVAL) * INTERVAL;
    let open = |preloaded| open_projection_preloaded(&ledger, INTERVAL, preloaded).unwrap();

    // Read before the ledger is open (as a server's start does): the newest snapshot, used as it is.
    let preloaded = Preloaded::read(dir.path()).expect("a snapshot to read ahead");
    let opened = open(Some(preloaded));
    assert_eq!(opened.from_snapshot, newest);
    assert_eq!(opened.projection, folded(&ledger, head));

    // The newest file holds the projection of another point (its stamp says so): it is dropped and
    // the open goes on from the snapshot before it.
    let (_, older) = ledger.snapshot_at_or_before(newest - 1).unwrap().unwrap();
    ledger.put_snapshot(newest, &older).unwrap();
    let opened = open(Preloaded::read(dir.path()));
    assert_eq!(opened.from_snapshot, newest - INTERVAL);
    assert_eq!(opened.projection, folded(&ledger, head));
    let (at, retaken) = ledger.snapshot_at_or_before(head).unwrap().unwrap();
    assert_eq!(at, newest);
    assert_ne!(retaken, older, "the mismatch was dropped and the snapshot taken again on the way");

    // A snapshot past the head (of events this ledger does not hold) is not looked at, nor removed.
    ledger.put_snapshot(head + INTERVAL, &older).unwrap();
    let opened = open(Preloaded::read(dir.path()));
    assert_eq!(opened.from_snapshot, newest);
    assert_eq!(opened.projection, folded(&ledger, head));
    assert_eq!(ledger.snapshot_at_or_before(u64::MAX).unwrap().unwrap().0, head + INTERVAL);
}

/// The year's ledger with snapshots stored, the newest one's facts forged under its stamp; and its
/// head.
fn year_ledger_with_a_forged_snapshot(dir: &std::path::Path) -> (Arc<Ledger>, u64) {
    let ledger = year_ledger(dir);
    drop(ReadModels::open_with_interval(ledger.clone(), INTERVAL).unwrap());
    forge_a_unit_name_in_the_newest_snapshot(&ledger);
    let head = ledger.head().seq;
    (ledger, head)
}

/// Forges the newest snapshot's facts, keeping its stamp: a unit's name, one character changed.
fn forge_a_unit_name_in_the_newest_snapshot(ledger: &Ledger) {
    let (at, bytes) = ledger.snapshot_at_or_before(ledger.head().seq).unwrap().unwrap();
    let name = folded(ledger, at).facts().units.values().next().unwrap().name.clone();
    let mut forged_name = name.clone();
    let last = forged_name.pop().unwrap();
    forged_name.push(if last == '甲' { '乙' } else { '甲' });
    assert_eq!(name.len(), forged_name.len(), "same length, so the bytes stay well formed");
    let offset = bytes.windows(name.len()).position(|window| window == name.as_bytes()).unwrap();
    let mut forged = bytes.clone();
    forged[offset..offset + name.len()].copy_from_slice(forged_name.as_bytes());
    ledger.put_snapshot(at, &forged).unwrap();
}

/// A server's decider opens from the same snapshot as its read models; once the history is folded
/// in the background, the decider takes that fold too — so it holds no second copy of the facts,
/// and facts a snapshot held but the chain does not decide nothing more.
#[test]
fn after_the_history_fold_the_decider_decides_on_the_chains_own_fold() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, head) = year_ledger_with_a_forged_snapshot(dir.path());
    let (service, read_models) = Service::open_with_read_models(
        ledger.clone(),
        Arc::new(ManualClock::default()),
        Arc::new(SeededIds::new("history fold")),
    )
    .unwrap();
    let (service, read_models) = (Arc::new(service), Arc::new(read_models));
    let chains_fold = folded(&ledger, head).facts().clone();
    assert!(service.with_facts(Clone::clone) != chains_fold, "the decider opened from the forged snapshot");

    let decider = Arc::downgrade(&service);
    read_models
        .follow(move |projection: &Projection| {
            if let Some(service) = decider.upgrade() {
                service.share_facts(projection);
            }
        })
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while service.with_facts(Clone::clone) != chains_fold {
        assert!(std::time::Instant::now() < deadline, "the decider still holds the snapshot's facts");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let (_, served) = read_models.with_projection(AsOf::Latest, |p| p.facts().clone()).unwrap();
    assert!(service.with_facts(|facts| facts.units.ptr_eq(&served.units)), "one copy, shared with the read models");
}

/// A read of the latest state holds back no fold, and no fold holds back a read: the follower folds
/// into a copy of its own and swaps it in, and a reader reads its own handle with no lock held. Here
/// a command is written and folded while a read of the latest state is still going on, which keeps
/// reading what it started with.
#[test]
fn the_follower_folds_while_a_read_of_the_latest_state_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, clock) = story_ledger(dir.path());
    let (service, read_models) =
        Service::open_with_read_models(ledger.clone(), clock, Arc::new(SeededIds::new("follower"))).unwrap();
    let read_models = Arc::new(read_models);
    read_models.follow(|_: &Projection| {}).unwrap();
    let admin = kpi_testkit::story::story()[0].context.actor.clone();
    let grant = kpi_ledger::domain::Command::from_payload(
        "GrantAccess",
        &serde_json::json!({"token_hash": "4".repeat(64), "actor_id": "office-ys09", "role": "office", "unit": "YS09"}),
    )
    .unwrap();
    let (_, (read_at, folded_meanwhile)) = read_models
        .with_projection(AsOf::Latest, |latest| {
            let read_at = latest.seq();
            service.execute(admin.clone(), &grant, CommandOptions::default()).unwrap();
            let head = ledger.head().seq;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while read_models.folded_seq() < head && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert_eq!(latest.seq(), read_at, "a read keeps the state it started with");
            (read_at, read_models.folded_seq())
        })
        .unwrap();
    assert_eq!(folded_meanwhile, ledger.head().seq, "folded while the read went on (it was at {read_at})");
    assert!(read_models.access(&kpi_ledger::domain::TokenHash::new("4".repeat(64)).unwrap()).unwrap().is_some());
}

/// The article's story (through the June appeal's decision), then three grants: YS07's office for 30
/// days, a city assessor (revoked at once) and YS08's admin, both for the default 90 days.
fn story_ledger(dir: &std::path::Path) -> (Arc<Ledger>, Arc<ManualClock>) {
    let ledger = Arc::new(Ledger::open(dir).unwrap());
    let clock = Arc::new(ManualClock::default());
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("read rules"))).unwrap();
    for step in kpi_testkit::story::story() {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    let admin = kpi_testkit::story::story()[0].context.actor.clone();
    for payload in [
        serde_json::json!({"token_hash": "1".repeat(64), "actor_id": "office-ys07", "role": "office", "unit": "YS07",
                           "valid_days": 30}),
        serde_json::json!({"token_hash": "2".repeat(64), "actor_id": "assessor-ys", "role": "assessor", "unit": "YS"}),
        serde_json::json!({"token_hash": "3".repeat(64), "actor_id": "admin-ys08", "role": "admin", "unit": "YS08"}),
    ] {
        let grant = kpi_ledger::domain::Command::from_payload("GrantAccess", &payload).unwrap();
        service.execute(admin.clone(), &grant, CommandOptions::default()).unwrap();
    }
    let revoke = kpi_ledger::domain::Command::from_payload(
        "RevokeAccess",
        &serde_json::json!({"token_hash": "2".repeat(64), "reason": "moved to another post"}),
    )
    .unwrap();
    service.execute(admin, &revoke, CommandOptions::default()).unwrap();
    (ledger, clock)
}

/// The read rules live in the service, for every adapter: `may_read` judges readers by role and unit
/// scope, the access list and the appeal queue hold only what the reader's scope holds, and a token
/// acts only while granted, unrevoked and unexpired.
#[test]
fn the_service_judges_who_may_read_what_for_every_adapter() {
    use kpi_ledger::domain::{Actor, Role, TokenHash};
    use kpi_ledger::service::queries::{AccessFilter, AppealFilter, ReadRefusalCode, ReadTarget, Reader};
    use kpi_ledger::service::read_models::TokenRefusal;

    let dir = tempfile::tempdir().unwrap();
    let (ledger, clock) = story_ledger(dir.path());
    let read_models = ReadModels::open(ledger).unwrap();
    let code = |text: &str| UnitCode::new(text).unwrap();
    let reader = |role: Role, unit: &str| Reader::Token(Actor { id: format!("{role:?}"), role, unit: code(unit) });
    let june = PeriodId::parse("2017-06").unwrap();
    let refused = |reader: &Reader, target: &ReadTarget| match read_models.may_read(reader, target) {
        Ok(()) => None,
        Err(kpi_ledger::service::queries::QueryError::Refused(refusal)) => Some((refusal.code, refusal.field)),
        Err(other) => panic!("{other}"),
    };
    let ys07_facts = ReadTarget::Unit { field: "unit", unit: Some(code("YS07")) };
    let section_facts = ReadTarget::Unit { field: "unit", unit: Some(code("YS07-BGS")) };
    let ys07_ranking = ReadTarget::Ranking { scope: RankingScope::OfUnit(code("YS07")), period: june };
    let ys07_detail = ReadTarget::GroupDetail { scope: RankingScope::OfUnit(code("YS07")), period: june };
    let out_of_scope = |field: &'static str| Some((ReadRefusalCode::OutOfScope, field));
    let role_refused = Some((ReadRefusalCode::RoleNotAllowed, "authorization"));

    let office_ys07 = reader(Role::Office, "YS07");
    let office_section = reader(Role::Office, "YS07-BGS");
    let office_ys08 = reader(Role::Office, "YS08");
    let auditor_ys07 = reader(Role::Auditor, "YS07");
    for (who, target, expected) in [
        (&office_ys07, &ys07_facts, None),
        (&office_ys07, &section_facts, None),
        (&office_section, &section_facts, None),
        (&office_section, &ys07_facts, out_of_scope("unit")),
        (&office_ys08, &ys07_facts, out_of_scope("unit")),
        (&office_ys08, &ys07_ranking, None),
        (&office_section, &ys07_ranking, out_of_scope("unit")),
        (&office_ys08, &ys07_detail, out_of_scope("unit")),
        (&reader(Role::Committee, "YS"), &ys07_detail, None),
        (&office_ys07, &ReadTarget::Unit { field: "unit", unit: None }, out_of_scope("unit")),
        (&reader(Role::Assessor, "YS"), &ReadTarget::Unit { field: "unit", unit: None }, None),
        (&reader(Role::Assessor, "YS"), &ReadTarget::Access, role_refused),
        (&auditor_ys07, &ReadTarget::Access, None),
        (&auditor_ys07, &ReadTarget::Ledger, out_of_scope("authorization")),
        (&reader(Role::Auditor, "YS"), &ReadTarget::Ledger, None),
        (&reader(Role::Reviewer, "YS"), &ReadTarget::Ledger, role_refused),
        (&reader(Role::Appellant, "YS07"), &ReadTarget::Persons { unit: code("YS07") }, role_refused),
        (&office_ys07, &ReadTarget::Persons { unit: code("YS07") }, None),
        (&office_ys08, &ReadTarget::ChainIntegrity, None),
        (&office_ys08, &ReadTarget::Unit { field: "unit", unit: Some(code("YS99")) }, None),
        (&Reader::Local, &ReadTarget::Ledger, None),
    ] {
        assert_eq!(refused(who, target), expected, "{who:?} reading {target:?}");
    }

    let ids = |list: kpi_ledger::service::queries::AccessList| {
        let mut ids: Vec<String> = list.grants.into_iter().map(|grant| grant.actor_id).collect();
        ids.sort();
        ids
    };
    let all = read_models.access_list_for(&Reader::Local, AccessFilter::All, None).unwrap();
    assert_eq!(ids(all), ["admin-ys08", "assessor-ys", "office-ys07"]);
    let county = read_models.access_list_for(&reader(Role::Admin, "YS08"), AccessFilter::All, None).unwrap();
    assert_eq!(ids(county), ["admin-ys08"], "a county admin sees its county's grants only");
    assert!(read_models.access_list_for(&office_ys07, AccessFilter::All, None).is_err());

    let now = kpi_ledger::service::Clock::now(&*clock);
    let hash = |fill: char| TokenHash::new(fill.to_string().repeat(64)).unwrap();
    assert_eq!(read_models.token_actor(&hash('1'), now).unwrap().unit, code("YS07"));
    assert!(matches!(read_models.token_actor(&hash('2'), now), Err(TokenRefusal::Revoked { .. })));
    assert!(matches!(read_models.token_actor(&hash('9'), now), Err(TokenRefusal::Unknown)));
    let expired = read_models.token_actor(&hash('1'), now.plus_days(30));
    assert!(matches!(expired, Err(TokenRefusal::Expired { expires_at }) if expires_at == now.plus_days(30)));
    assert!(read_models.token_actor(&hash('3'), now.plus_days(30)).is_ok(), "90 days by default");

    // The June appeal, as of the day it waited for a decision.
    let waiting = AsOf::EndOfDay { year: 2017, month: 7, day: 15 };
    let queue = |who: &Reader, filter: AppealFilter| {
        read_models.appeal_queue(who, &filter, waiting, now).map(|answer| answer.value.appeals.len())
    };
    assert_eq!(queue(&reader(Role::Reviewer, "YS"), AppealFilter::default()).unwrap(), 1);
    assert_eq!(queue(&office_ys07, AppealFilter::default()).unwrap(), 1);
    assert_eq!(queue(&office_ys08, AppealFilter::default()).unwrap(), 0, "not in its scope");
    let july = AppealFilter { period: Some(PeriodId::parse("2017-07").unwrap()), ..AppealFilter::default() };
    assert_eq!(queue(&Reader::Local, july).unwrap(), 0);
    let of_ys07 = AppealFilter {
        unit: Some(code("YS07")),
        period: Some(PeriodId::parse("2017-H1").unwrap()),
        ..AppealFilter::default()
    };
    assert_eq!(queue(&Reader::Local, of_ys07.clone()).unwrap(), 1);
    assert!(queue(&office_ys08, of_ys07).is_err(), "a unit outside the scope is refused, not emptied");
}

/// A fold of the history beside a projection of the same chain holds one copy of each person both
/// hold: the very value, not an equal one. A person who changed after the point folded to is not
/// shared, and nothing else changes: the fold equals a plain fold of the same events.
#[test]
fn a_fold_beside_a_later_projection_shares_the_persons_that_did_not_change_since() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, clock) = story_ledger(dir.path());
    let before_the_move = ledger.head().seq;
    let service = Service::open(ledger.clone(), clock.clone(), Arc::new(SeededIds::new("sharing"))).unwrap();
    let admin = kpi_testkit::story::story()[0].context.actor.clone();
    let move_one = kpi_ledger::domain::Command::from_payload(
        "MovePerson",
        &serde_json::json!({"person": "YS07-0201", "to_unit": "YS07-ZGU"}),
    )
    .unwrap();
    service.execute(admin, &move_one, CommandOptions::default()).unwrap();
    let later = folded(&ledger, ledger.head().seq);

    let mut sharing = Projection::new();
    let decoder = |seq: u64, record: Record<'_>| {
        decode(seq, &record).map_err(|e| kpi_ledger::store::StoreError::Corrupt(e.to_string()))
    };
    ledger
        .for_each_decoded(1, before_the_move, decoder, |event| {
            sharing.apply_sharing(&event, &later).unwrap();
            Ok::<(), kpi_ledger::store::StoreError>(())
        })
        .unwrap();
    assert_eq!(sharing, folded(&ledger, before_the_move), "sharing changes no fact");
    let persons = &sharing.facts().persons;
    assert!(persons.len() >= 6, "the story's persons: {}", persons.len());
    for (id, person) in persons {
        let theirs = &later.facts().persons[id];
        let shared = Arc::ptr_eq(person, theirs);
        match id.as_str() {
            "YS07-0201" => assert!(!shared && person != theirs, "{id} moved after: not shared"),
            _ => assert!(shared, "{id} did not change after: one copy"),
        }
    }
}
