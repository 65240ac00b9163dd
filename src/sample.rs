//! A small, fixed sample history (the opening of the article's story) as raw append requests, made
//! on a simulated clock with seeded ids. The golden test pins its head hash, so any change to how
//! events are encoded or hashed fails loudly. The envelopes are raw (not decided by the domain), so
//! the pin holds the chain format alone, whatever the rules become.

use serde_json::json;

use crate::chain::Actor;
use crate::domain::Timestamp;
use crate::service::{IdSource, SeededIds};
use crate::store::{AppendRequest, ExpectedVersion, NewEvent};

/// The sample's requests, in order. Deterministic: same output on every call and every machine.
pub fn sample_requests() -> Vec<AppendRequest> {
    let ids = SeededIds::new("kpi-ledger sample chain v1");
    let day = |month, day, hour| Timestamp::from_civil(2017, month, day, hour, 0, 0).expect("valid date");
    let admin = Actor { id: "admin-ys".into(), role: "admin".into() };
    let city = Actor { id: "assessor-ys".into(), role: "assessor".into() };
    let office = Actor { id: "office-ys07".into(), role: "office".into() };
    let mut requests = Vec::new();
    let mut push = |stream: &str, at: Timestamp, actor: &Actor, events: Vec<(&str, serde_json::Value)>| {
        requests.push(AppendRequest {
            stream: stream.into(),
            expected: ExpectedVersion::Any,
            events: events
                .into_iter()
                .map(|(event_type, data)| NewEvent {
                    event_id: ids.next_id(at),
                    event_type: event_type.into(),
                    schema_version: 1,
                    data,
                })
                .collect(),
            recorded_at: at,
            actor: actor.clone(),
            command_id: Some(format!("sample-{}", requests.len() + 1)),
            request_digest: None,
            causation_id: None,
            correlation_id: None,
        });
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
    requests
}
