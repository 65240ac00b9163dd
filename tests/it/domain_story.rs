//! The article's story as golden files: YS07's half-year report (deducted 07-11, published 07-12,
//! cause attributed and rectified 07-13, appealed 07-14, 1 point restored 07-19) with every event it
//! emitted pinned in `tests/golden/story_half_year_report.json`; one sample per event type and version
//! in `tests/golden/events/`, one payload per command in `tests/golden/commands/`; and determinism.
//! Refresh with `UPDATE_EXPECT=1 cargo test --test domain_story` and review the diff.
//!
//! Invariant guarded: the same steps with the same injected clock and ids decide byte-identical event
//! data, and what the story records does not change without a reviewed golden diff.

use crate::harness;

use std::collections::BTreeMap;

use harness::{assert_golden, assert_valid_event};
use kpi_ledger::chain::sealed_text::seal;
use kpi_ledger::domain::command::*;
use kpi_ledger::domain::timestamp::UtcOffset;
use kpi_ledger::domain::*;
use kpi_testkit::generator::run_story;
use kpi_testkit::story::{self as fixture, at, indicator, period, person, scheme, unit, Step};
use serde_json::{json, Value};

fn step(label: &str, when: Timestamp, actor: (&str, Role, &str), counter: u64, command: impl Into<Command>) -> Step {
    let actor = Actor { id: actor.0.to_owned(), role: actor.1, unit: unit(actor.2) };
    let context = Context::new(when, actor, fixture::story_id(when, 1_000_000 + counter));
    Step { label: label.to_owned(), command: command.into(), context }
}

const ADMIN: (&str, Role, &str) = ("admin.ys", Role::Admin, "YS");
const ASSESSOR: (&str, Role, &str) = ("assessor.ys.wang", Role::Assessor, "YS");
const COMMITTEE: (&str, Role, &str) = ("committee.ys", Role::Committee, "YS");

/// Made-up evidence digests (blake3 hex) for the epilogue's appeal steps: YS05's submission receipt,
/// the document-format rules YS07 cites, the committee's minutes.
const DIGEST_SUBMISSION_RECEIPT: &str = "5b0e4c2a9d7f1e3b8c6a4d2f0e9b7c5a3d1f8e6c4b2a0d9f7e5c3b1a8f6d4e2c";
const DIGEST_FORMAT_RULES: &str = "c3d9a1f7e5b3c1a9f7d5b3e1c9a7f5d3b1e9c7a5f3d1b9e7c5a3f1d9b7e5c3a1";
const DIGEST_COMMITTEE_MINUTES: &str = "0f2e4d6c8b0a1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e";

/// A made-up token hash (blake3 hex) for the epilogue's grant; the token itself never reaches the domain.
const TOKEN_HASH_NEW_ASSESSOR: &str = "ace31e9407eebf27a68adb58ee4c5a8242fe15338c218d54b024df76d3c10b4a";

/// After the story: the commands it does not need, so that every command and event type has a sample.
fn epilogue(story: &[Step]) -> Vec<Step> {
    let appeal_id =
        story.iter().find(|step| step.label == fixture::LABEL_APPEAL).expect("the story appeals").context.new_id;
    let july_deduction = step(
        "epilogue.deduct",
        at(7, 20, 9, 0),
        ASSESSOR,
        6,
        RecordDeduction {
            scheme: scheme(),
            period: period("2017-07"),
            unit: unit("YS05"),
            indicator: indicator("BGS-02"),
            points: Points(100),
            reason: "信息报送迟延 (information report late)".to_owned(),
            problem_category: ProblemCategory::new("late_submission").expect("category"),
            evidence_digests: Vec::new(),
            links: Vec::new(),
        },
    );
    let july_deduction_id = DeductionId(july_deduction.context.new_id);
    let appeal = step(
        "epilogue.appeal",
        at(7, 20, 9, 30),
        ("appellant.ys05", Role::Appellant, "YS05"),
        8,
        FileAppeal {
            target: AppealTarget::Deduction { deduction_id: july_deduction_id },
            grounds: "已按时报送 (reported on time)".to_owned(),
            evidence_digests: vec![EvidenceDigest::new(DIGEST_SUBMISSION_RECEIPT).expect("a digest")],
        },
    );
    let second_appeal_id = AppealId(appeal.context.new_id);
    let token_hash = TokenHash::new(TOKEN_HASH_NEW_ASSESSOR).expect("a token hash");
    let mut steps = vec![
        step(
            "epilogue.rename",
            at(7, 20, 8, 0),
            ADMIN,
            1,
            RenameUnit { unit: unit("YS12-FGG"), name: "法制股".to_owned() },
        ),
        step(
            "epilogue.retire_unit",
            at(7, 20, 8, 1),
            ADMIN,
            2,
            RetireUnit {
                unit: unit("YS12-FGG"), reason: "并入办公室 (merged into the general office)".to_owned()
            },
        ),
        step(
            "epilogue.move",
            at(7, 20, 8, 2),
            ADMIN,
            3,
            MovePerson { person: person("YS07-0101"), to_unit: unit("YS07-ZGG"), effective_on: None },
        ),
        step(
            "epilogue.retire_person",
            at(7, 20, 8, 3),
            ADMIN,
            4,
            RetirePerson { person: person("YS07-0601"), reason: "退休 (retired)".to_owned() },
        ),
        step(
            "epilogue.retire_indicator",
            at(7, 20, 8, 4),
            ADMIN,
            5,
            RetireIndicator {
                scheme: scheme(),
                indicator: indicator("SZ-08"),
                effective_from: period("2017-08"),
                reason: "并入SZ-07 (merged into SZ-07)".to_owned(),
            },
        ),
        july_deduction,
        appeal,
        step(
            "epilogue.withdraw_appeal",
            at(7, 20, 9, 45),
            ("appellant.ys05", Role::Appellant, "YS05"),
            13,
            WithdrawAppeal {
                appeal_id: second_appeal_id,
                reason: "扣分已撤销 (the deduction was withdrawn)".to_owned(),
            },
        ),
        step(
            "epilogue.withdraw",
            at(7, 20, 10, 0),
            ASSESSOR,
            7,
            WithdrawDeduction { deduction_id: july_deduction_id, reason: "误记 (recorded in error)".to_owned() },
        ),
        step(
            "epilogue.escalate",
            at(7, 20, 10, 30),
            ("appellant.ys07", Role::Appellant, "YS07"),
            9,
            EscalateAppeal {
                appeal_id: AppealId(appeal_id),
                grounds: "报告合规，不应扣分 (the report was compliant)".to_owned(),
                evidence_digests: vec![EvidenceDigest::new(DIGEST_FORMAT_RULES).expect("a digest")],
            },
        ),
        step(
            "epilogue.bonus",
            at(7, 21, 9, 0),
            ASSESSOR,
            10,
            AwardBonus {
                scheme: scheme(),
                period: period("2017-07"),
                unit: unit("YS07"),
                points: Points(100),
                reason: "省局通报表扬 (praised by the province)".to_owned(),
            },
        ),
        step(
            "epilogue.veto",
            at(7, 21, 9, 30),
            ASSESSOR,
            11,
            ApplyVeto {
                scheme: scheme(),
                period: period("2017-07"),
                unit: unit("YS03"),
                indicator: indicator("FG-04"),
                reason: "执法违纪案件 (an enforcement-integrity case)".to_owned(),
            },
        ),
        step(
            "epilogue.reopen",
            at(7, 22, 9, 0),
            COMMITTEE,
            12,
            ReopenPeriod {
                scheme: scheme(),
                period: period("2017-05"),
                reason: "省局复核更正 (corrected on the province's review)".to_owned(),
            },
        ),
        step(
            "epilogue.committee_decides",
            at(7, 25, 9, 0),
            COMMITTEE,
            14,
            DecideAppeal {
                appeal_id: AppealId(appeal_id),
                outcome: AppealOutcome::Partial { points_restored: Points(100) },
                reasoning: "维持复核决定 (the review stands)".to_owned(),
                evidence_digests: vec![EvidenceDigest::new(DIGEST_COMMITTEE_MINUTES).expect("a digest")],
            },
        ),
        step(
            "epilogue.grant_access",
            at(7, 25, 10, 0),
            ADMIN,
            15,
            GrantAccess {
                token_hash: token_hash.clone(),
                actor_id: "assessor.ys.zhao".to_owned(),
                role: Role::Assessor,
                unit: unit("YS"),
                note: "市局考核办新任考核员 (new assessor at the city's assessment office)".to_owned(),
                valid_days: None,
                person: None,
            },
        ),
        step(
            "epilogue.revoke_access",
            at(7, 26, 9, 0),
            ADMIN,
            16,
            RevokeAccess { token_hash, reason: "调离考核岗位 (moved off the assessment post)".to_owned() },
        ),
        step(
            "epilogue.time_zone",
            at(7, 26, 10, 0),
            ADMIN,
            17,
            SetTimeZone { utc_offset: UtcOffset::parse("+08:00").unwrap() },
        ),
        step(
            "epilogue.rotate_signing_key",
            at(7, 26, 11, 0),
            ADMIN,
            18,
            kpi_ledger::domain::command::RotateSigningKey {
                public_key: kpi_ledger::domain::ids::PublicKeyHex::new(
                    "5ab4b8e2ef0f7ad1c3a27e8d2ba9ca0a4a6bdf3c1dbf1e2d9d6a8b2a0f3c4e51",
                )
                .unwrap(),
                previous_public_key: kpi_ledger::domain::ids::PublicKeyHex::new(
                    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                )
                .unwrap(),
                reason: "年度密钥轮换 (yearly key rotation)".to_owned(),
            },
        ),
    ];

    // YS07's own scheme: opened by the county's admin, revenue completion taken over at 9.00.
    const COUNTY_ADMIN: (&str, Role, &str) = ("admin.ys07", Role::Admin, "YS07");
    steps.push(step(
        "epilogue.open_county_scheme",
        at(7, 27, 8, 0),
        COUNTY_ADMIN,
        19,
        crate::own_scheme_fixture::open_own(),
    ));
    steps.push(step(
        "epilogue.take_over",
        at(7, 27, 8, 30),
        COUNTY_ADMIN,
        20,
        TakeOverIndicator {
            scheme: SchemeId::new("YS07-2017").expect("a scheme id"),
            indicator: indicator("ZGU-02"),
            city_scheme: scheme(),
            points_max: Points(900),
            effective_from: None,
        },
    ));

    // Individual assessment in YS07: 孙股长 (YS07-0201, of YS07-ZGG) files a week, is commented on,
    // reviewed, carries a personal indicator, and is graded; the city praises YS07 for June.
    const OFFICE: (&str, Role, &str) = ("office.ys07", Role::Office, "YS07");
    const STAFF: (&str, Role, &str) = ("person.ys07.0201", Role::Person, "YS07-ZGG");
    const LEADER: (&str, Role, &str) = ("leader.ys07.zhao", Role::Leader, "YS07");
    const COUNTY_COMMITTEE: (&str, Role, &str) = ("committee.ys07", Role::Committee, "YS07");
    steps.push(step(
        "epilogue.grant_person",
        at(7, 27, 9, 0),
        ADMIN,
        21,
        GrantAccess {
            token_hash: TokenHash::new("7d".repeat(32)).expect("a token hash"),
            actor_id: STAFF.0.to_owned(),
            role: Role::Person,
            unit: unit("YS07-ZGG"),
            note: "孙股长本人 (for 孙股长 themselves)".to_owned(),
            valid_days: None,
            person: Some(person("YS07-0201")),
        },
    ));
    steps.push(step(
        "epilogue.define_personal_indicator",
        at(7, 27, 9, 30),
        OFFICE,
        22,
        DefinePersonalIndicator {
            unit: unit("YS07"),
            year: 2017,
            indicator: indicator("P-0201-01"),
            person: person("YS07-0201"),
            name: "存量登记数据清理".to_owned(),
            description: "三季度内完成存量登记数据清理 (clean the stock of registration data in Q3)".to_owned(),
            points_max: Points(500),
            method: IndicatorMethod::Deduct,
            effective_from: Some(period("2017-07")),
        },
    ));
    steps.push(step(
        "epilogue.assess_personal_indicator",
        at(7, 27, 10, 0),
        OFFICE,
        23,
        AssessPersonalIndicator {
            unit: unit("YS07"),
            indicator: indicator("P-0201-01"),
            period: period("2017-07"),
            outcome: kpi_ledger::domain::person::PersonalOutcome::Deduction { points: Points(100) },
            reason: "清理进度滞后 (the cleaning is behind schedule)".to_owned(),
        },
    ));
    steps.push(step(
        "epilogue.file_weekly_record",
        at(7, 28, 9, 0),
        STAFF,
        24,
        FileWeeklyRecord {
            person: person("YS07-0201"),
            week: kpi_ledger::domain::date::IsoWeek::parse("2017-W30").expect("a week"),
            text: "清理存量登记数据120户；报送半年报告 (cleaned 120 registrations; filed the half-year report)"
                .to_owned(),
            indicators: vec![
                kpi_ledger::domain::person::IndicatorRef::Personal { indicator: indicator("P-0201-01") },
                kpi_ledger::domain::person::IndicatorRef::Scheme { scheme: scheme(), indicator: indicator("ZG-04") },
            ],
        },
    ));
    steps.push(step(
        "epilogue.comment_weekly_record",
        at(7, 28, 10, 0),
        LEADER,
        25,
        CommentWeeklyRecord {
            person: person("YS07-0201"),
            week: kpi_ledger::domain::date::IsoWeek::parse("2017-W30").expect("a week"),
            comment: "进度可以，注意数据质量 (good progress; mind the data quality)".to_owned(),
        },
    ));
    steps.push(step(
        "epilogue.review_person",
        at(7, 28, 11, 0),
        LEADER,
        26,
        ReviewPerson {
            person: person("YS07-0201"),
            quarter: period("2017-Q3"),
            score: Points(8800),
            comment: "工作扎实 (solid work)".to_owned(),
        },
    ));
    steps.push(step(
        "epilogue.set_personal_rules",
        at(7, 28, 14, 0),
        COUNTY_COMMITTEE,
        27,
        SetPersonalRules {
            unit: unit("YS07"),
            year: 2017,
            weights: kpi_ledger::domain::person::PartWeights { section: 40, review: 30, indicators: 30 },
            tier_shares_percent: vec![30, 50, 20],
            excellent_quota_percent: 20,
            missing_week_deduction: Points(50),
        },
    ));
    // What the service reads for the last two steps: the individual standing and the chain head.
    let read = |steps: &[Step]| {
        let mut all = story.to_vec();
        all.extend_from_slice(steps);
        run_story(&all).unwrap_or_else(|error| panic!("{error}")).recorded()
    };
    let mut grade = step(
        "epilogue.record_grade",
        at(7, 28, 15, 0),
        COUNTY_COMMITTEE,
        28,
        RecordGrade {
            unit: unit("YS07"),
            person: person("YS07-0201"),
            year: 2017,
            grade: kpi_ledger::domain::person::AnnualGrade::BasicallyCompetent,
            reason: Some("多次迟报周纪实 (weekly records often late)".to_owned()),
        },
    );
    let events = read(&steps);
    let projection = kpi_ledger::projection::Projection::fold(&events).expect("the story folds");
    let today = kpi_ledger::domain::date::Date::of_instant(grade.context.now, projection.facts().time_zone());
    grade.context.basis.standing =
        Some(projection.individual_standing(&unit("YS07"), 2017, &person("YS07-0201"), today));
    steps.push(grade);
    let events = read(&steps);
    let last = events.last().expect("the story recorded events");
    let position = kpi_ledger::domain::person::ChainPosition { seq: last.seq, hash: last.hash };
    let mut result_use = step(
        "epilogue.record_result_use",
        at(7, 28, 16, 0),
        COMMITTEE,
        29,
        RecordResultUse {
            kind: kpi_ledger::domain::person::ResultUseKind::PraiseNotice,
            subject: kpi_ledger::domain::person::ResultSubject::Unit { unit: unit("YS07") },
            view: kpi_ledger::domain::person::ResultView::Ranking {
                scheme: scheme(),
                period: period("2017-06"),
                function_code: None,
            },
            read_at: Some(position),
            note: "乙市国税发〔2017〕21号 6月绩效通报表扬 (June's notice of praise)".to_owned(),
        },
    );
    result_use.context.basis.position = Some(position);
    steps.push(result_use);
    steps.push(step(
        "epilogue.erase_person",
        at(7, 28, 17, 0),
        ADMIN,
        30,
        ErasePerson {
            person: person("YS07-0601"), legal_basis: "本人申请删除 (PIPL 第四十七条)".to_owned()
        },
    ));
    steps
}

/// The key the golden samples of version 2 of the events of individuals are sealed with, and their
/// nonce: each is the version 1 sample of the same event, its text sealed (`tests/it/pipl.rs` opens
/// them with this key).
pub const GOLDEN_PERSON_KEY: [u8; 32] = [0x4b; 32];
const GOLDEN_NONCE: [u8; 24] = [0x6e; 24];

/// `event` with its plain personal text sealed under the golden key; `None` for an event without one.
fn sealed_sample(event: &Event) -> Option<Event> {
    let mut event = event.clone();
    let (person, field, text) = event.personal_text_mut()?;
    let PersonalText::Plain(plain) = text else { return None };
    let key = PersonKey(GOLDEN_PERSON_KEY);
    *text = PersonalText::Sealed(seal(&key, GOLDEN_NONCE, person, field, plain).expect("the sample seals"));
    Some(event)
}

fn run(steps: &[Step]) -> Vec<Recorded> {
    let history = run_story(steps).unwrap_or_else(|error| panic!("{error}"));
    history.events.iter().for_each(|event| assert_valid_event(&event.recorded.event));
    history.recorded()
}

fn envelope(recorded: &Recorded) -> Value {
    json!({
        "seq": recorded.seq,
        "stream": recorded.event.stream_id(),
        "event_type": recorded.event.event_type(),
        "schema_version": recorded.event.schema_version(),
        "recorded_at": recorded.recorded_at,
        "actor_id": recorded.recorded_by.id,
        "data": recorded.event.to_data(),
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON") + "\n"
}

#[test]
fn half_year_report_story_is_pinned() {
    let steps = fixture::story();
    let events = run(&steps);
    let first = steps.iter().position(|step| step.label == fixture::LABEL_DEDUCTION).expect("the story deducts");
    let story: Vec<Value> = events[first..].iter().map(envelope).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for recorded in &events {
        *counts.entry(recorded.event.event_type()).or_default() += 1;
    }
    let golden = json!({"events_in_whole_story": events.len(), "events_by_type": counts, "half_year_report": story});
    assert_golden("tests/golden/story_half_year_report.json", &pretty(&golden));
}

#[test]
fn the_story_tells_what_domain_md_says() {
    let steps = fixture::story();
    let state = run_story(&steps).unwrap_or_else(|error| panic!("{error}")).state;
    let deduction_id =
        steps.iter().find(|step| step.label == fixture::LABEL_DEDUCTION).expect("deduction").context.new_id;
    let deduction = &state.deductions[&DeductionId(deduction_id)];
    assert_eq!(deduction.recorded.points, Points(200));
    assert_eq!(deduction.cause_unit(), Some(&unit("YS07-BGS")));
    assert_eq!(state.effective_points(deduction), Points(100), "the appeal restored 1 of 2 points");
    let scheme_record = &state.schemes[&scheme()];
    let applicable: Points = scheme_record
        .indicators
        .iter()
        .filter(|(_, record)| scheme_record.applies(record, &unit("YS07"), period("2017-06")))
        .map(|(_, record)| record.version_at(period("2017-06")).points_max)
        .sum();
    assert_eq!(applicable, Points(9_200), "YS07 drops 4 indicators, leaving 92 points");
    let lead = scheme_record.lead_section(&unit("YS07"), &indicator("ZG-04"), period("2017-06"));
    assert_eq!(lead, Some(&unit("YS07-ZGG")));
}

#[test]
fn deciding_is_deterministic() {
    let steps = fixture::story();
    let history = run_story(&steps).unwrap_or_else(|error| panic!("{error}"));
    let again = run_story(&fixture::story()).unwrap_or_else(|error| panic!("{error}"));
    let hashes =
        |history: &kpi_testkit::generator::History| history.events.iter().map(|e| e.sealed.hash).collect::<Vec<_>>();
    assert_eq!(hashes(&history), hashes(&again), "same steps, same bytes and hashes");
    let state = history.state;
    for step in epilogue(&steps) {
        let first = decide(&state, &step.command, &step.context);
        let second = decide(&state, &step.command, &step.context);
        assert_eq!(first, second);
    }
}

/// Every command and event type, with the story and its epilogue, yields a golden sample.
#[test]
fn one_sample_per_event_type_and_command() {
    let mut steps = fixture::story();
    steps.extend(epilogue(&steps));
    let events = run(&steps);
    let mut event_samples: BTreeMap<String, Value> = BTreeMap::new();
    for recorded in &events {
        let key = format!("{}.v{}", recorded.event.event_type(), recorded.event.schema_version());
        event_samples.entry(key).or_insert_with(|| recorded.event.to_data());
        if let Some(sealed) = sealed_sample(&recorded.event) {
            assert_valid_event(&sealed);
            let key = format!("{}.v{}", sealed.event_type(), sealed.schema_version());
            event_samples.entry(key).or_insert_with(|| sealed.to_data());
        }
    }
    for (event_type, version) in Event::CURRENT_VERSIONS {
        let key = format!("{event_type}.v{version}");
        let sample = event_samples.get(&key).unwrap_or_else(|| panic!("no sample of {key}"));
        assert_golden(&format!("tests/golden/events/{key}.json"), &pretty(sample));
    }
    let mut command_samples: BTreeMap<&str, Value> = BTreeMap::new();
    for step in &steps {
        command_samples.entry(step.command.name()).or_insert_with(|| step.command.payload());
    }
    for name in Command::NAMES {
        let sample = command_samples.get(name).unwrap_or_else(|| panic!("no sample of {name}"));
        assert_golden(&format!("tests/golden/commands/{name}.json"), &pretty(sample));
    }
}
