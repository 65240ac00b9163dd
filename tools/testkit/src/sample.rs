//! A small, fixed sample chain (the opening of the article's story) of raw envelopes, sealed on a
//! simulated clock with seeded ids. The golden test pins its head hash, so any change to how events
//! are encoded or hashed fails loudly. The envelopes are raw (not decided by the domain), so the pin
//! holds the chain format alone, whatever the rules become.

use serde_json::json;

use std::collections::HashMap;

use kpi_ledger::chain::{seal_body, EventBody, Head, Sealed};
use kpi_ledger::domain::{RecordedBy, Role, Timestamp};
use kpi_ledger::service::{IdSource, SeededIds};

/// The sample chain, sealed, in order. Deterministic: same output on every call and every machine.
pub fn sample_chain() -> Vec<Sealed> {
    let ids = SeededIds::new("kpi-ledger sample chain v1");
    let day = |month, day, hour| Timestamp::from_civil(2017, month, day, hour, 0, 0).expect("valid date");
    let admin = RecordedBy { id: "admin-ys".into(), role: Role::Admin };
    let city = RecordedBy { id: "assessor-ys".into(), role: Role::Assessor };
    let office = RecordedBy { id: "office-ys07".into(), role: Role::Office };
    let mut sealed: Vec<Sealed> = Vec::new();
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut commands = 0;
    let mut push = |stream: &str, at: Timestamp, actor: &RecordedBy, events: Vec<(&str, serde_json::Value)>| {
        commands += 1;
        for (event_type, data) in events {
            let version = versions.entry(stream.to_owned()).or_insert(0);
            *version += 1;
            let body = EventBody {
                event_id: ids.next_id(at),
                stream: stream.into(),
                stream_version: *version,
                event_type: event_type.into(),
                schema_version: 1,
                recorded_at: at,
                actor: actor.clone(),
                command_id: Some(format!("sample-{commands}")),
                causation_id: None,
                correlation_id: None,
                imported: None,
                data,
            };
            let head = sealed.last().map_or(Head::EMPTY, Sealed::head);
            sealed.push(seal_body(&head, body).expect("sample events are small"));
        }
    };
    push(
        "unit-YS",
        day(1, 3, 9),
        &admin,
        vec![("UnitRegistered", json!({"code": "YS", "name": "乙市国家税务局", "level": "city", "parent": null}))],
    );
    push(
        "unit-YS07",
        day(1, 3, 9),
        &admin,
        vec![("UnitRegistered", json!({"code": "YS07", "name": "丙县国家税务局", "level": "county", "parent": "YS"}))],
    );
    for (code, name, function) in [("BGS", "办公室", "BG"), ("ZGG", "政工股", "ZG"), ("ZGU", "征管股", "ZGU")]
    {
        push(
            &format!("unit-YS07-{code}"),
            day(1, 3, 10),
            &admin,
            vec![(
                "UnitRegistered",
                json!({"code": format!("YS07-{code}"), "name": name, "level": "section", "parent": "YS07", "function_code": function}),
            )],
        );
    }
    push(
        "scheme-YS-2017",
        day(1, 5, 9),
        &admin,
        vec![
            ("SchemeOpened", json!({"issuer": "YS", "year": 2017, "bonus_cap": 300})),
            (
                "IndicatorDefined",
                json!({"code": "ZG-04", "name": "半年工作报告", "points_max": 200, "method": "deduct"}),
            ),
        ],
    );
    push(
        "assessment-YS-2017-07-YS07",
        day(7, 11, 15),
        &city,
        vec![(
            "DeductionRecorded",
            json!({"indicator": "ZG-04", "unit": "YS07", "points": 200, "reason": "半年工作报告文种错误，退回", "problem_category": "document-filing"}),
        )],
    );
    push(
        "assessment-YS-2017-07-YS07",
        day(7, 13, 10),
        &office,
        vec![(
            "CauseAttributed",
            json!({"indicator": "ZG-04", "unit": "YS07", "cause_unit": "YS07-BGS", "description": "请示 filed instead of 报告"}),
        )],
    );
    sealed
}
