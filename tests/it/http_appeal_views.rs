//! The appeal views over HTTP (docs/RULES.md §9): the queue filtered by unit, appellant, period and
//! status (waiting, open, escalated, decided, withdrawn, overdue, all), "my appeals" for an
//! appellant with each appeal's history, and an appeal on a cause attribution from filing to the
//! county committee's decision, as a client does it: the attribution's event read from the trace.
//!
//! Invariant guarded: every appeal has exactly one status; a history lists every step of the appeal
//! once, in chain order, with its time; the views hold only what the reader's scope may see.

use axum::http::StatusCode;
use kpi_testkit::story as fixture;
use serde_json::{json, Value};

use crate::http_api::Api;

fn appeals(body: &Value) -> Vec<Value> {
    body["appeals"].as_array().unwrap_or_else(|| panic!("no appeals in {body}")).clone()
}

fn count(body: &Value) -> usize {
    appeals(body).len()
}

fn steps(appeal: &Value) -> Vec<&str> {
    appeal["history"].as_array().unwrap().iter().map(|step| step["step"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_queue_filters_by_status_and_appellant_and_my_appeals_tell_their_history() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    // The story's appeal was decided on 07-19 (partial, 1 point): nothing waits.
    for (path, expected) in [
        ("/v1/appeal-queue", 0),
        ("/v1/appeal-queue?status=waiting", 0),
        ("/v1/appeal-queue?status=decided", 1),
        ("/v1/appeal-queue?status=all", 1),
        ("/v1/appeal-queue?status=open", 0),
        ("/v1/appeal-queue?status=withdrawn", 0),
        ("/v1/appeal-queue?status=overdue", 0),
        ("/v1/appeal-queue?status=all&appellant=YS07", 1),
        ("/v1/appeal-queue?status=all&appellant=YS08", 0),
        ("/v1/appeal-queue?status=all&unit=YS07&period=2017-Q2", 1),
    ] {
        let (status, body) = api.get("committee", path).await;
        assert_eq!((status, count(&body)), (StatusCode::OK, expected), "{path}: {body}");
    }
    let (_, decided) = api.get("committee", "/v1/appeal-queue?status=decided").await;
    let appeal = &appeals(&decided)[0];
    assert_eq!((appeal["status"].as_str(), appeal["verdict"].as_str()), (Some("decided"), Some("partial")));
    assert_eq!(appeal["points_restored"], 100);
    assert_eq!(steps(appeal), ["filed", "decided"]);

    let appeal_id = appeal["appeal_id"].as_str().unwrap().to_owned();
    let escalation = json!({"grounds": "报告合规 (the report was compliant)", "evidence_digests": ["ab".repeat(32)]});
    let (status, _, body) =
        api.post("appellant@YS07", &format!("/v1/appeals/{appeal_id}/escalation"), &escalation).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (path, expected) in [
        ("/v1/appeal-queue", 1),
        ("/v1/appeal-queue?status=escalated", 1),
        ("/v1/appeal-queue?status=decided", 0),
        ("/v1/appeal-queue?status=overdue", 0),
    ] {
        let (_, body) = api.get("committee", path).await;
        assert_eq!(count(&body), expected, "{path}: {body}");
    }
    // Eleven days on, the committee's decision is overdue.
    api.clock.advance_micros(11 * kpi_ledger::domain::timestamp::MICROS_PER_DAY);
    let (_, overdue) = api.get("committee", "/v1/appeal-queue?status=overdue").await;
    let late = &appeals(&overdue)[0];
    assert_eq!((late["overdue"].as_bool(), late["days_overdue"].as_i64()), (Some(true), Some(1)), "{late}");

    // My appeals: what YS07 filed, with every step and its time; none of YS08's business.
    let (status, mine) = api.get("appellant@YS07", "/v1/my-appeals").await;
    assert_eq!((status, count(&mine)), (StatusCode::OK, 1), "{mine}");
    let history = appeals(&mine)[0]["history"].as_array().unwrap().clone();
    assert_eq!(steps(&appeals(&mine)[0]), ["filed", "decided", "escalated"]);
    assert_eq!(history[0]["at"], "2017-07-14T09:00:00.000000Z");
    assert_eq!(history[1]["at"], "2017-07-19T16:00:00.000000Z");
    assert_eq!(history[2]["evidence_digests"], json!(["ab".repeat(32)]));
    assert!(history.windows(2).all(|pair| pair[0]["event"]["seq"].as_u64() < pair[1]["event"]["seq"].as_u64()));
    let (_, none) = api.get("appellant@YS08", "/v1/my-appeals").await;
    assert_eq!(count(&none), 0);
    let (_, escalated) = api.get("appellant@YS07", "/v1/my-appeals?status=escalated&period=2017-06").await;
    assert_eq!(count(&escalated), 1);

    let (status, problem) = api.get("committee", "/v1/appeal-queue?status=lost").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")), "{problem}");
    let (status, problem) = api.get("committee", "/v1/appeal-queue?appellant=YS99").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::NOT_FOUND, Some("appellant")), "{problem}");
    // The local read token reads the whole ledger as the operator: every appeal is its own.
    let (status, _, all) = api.call("GET", "/v1/my-appeals", Some("test-local-read-token"), None, &[]).await;
    assert_eq!((status, count(&all)), (StatusCode::OK, 1), "{all}");
}

/// The section charged appeals the attribution; a reviewer may not decide it, the county's committee
/// does; upheld, the charge goes back to the lead section and the county's score is unchanged.
#[tokio::test]
async fn an_attribution_appeal_from_filing_to_the_county_committee() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let deduction_id =
        fixture::story().iter().find(|step| step.label == fixture::LABEL_DEDUCTION).unwrap().context.new_id.to_string();
    // The story's attribution (07-13) is past its window now; the office attributes anew.
    let attribution = json!({"deduction_id": deduction_id, "cause_unit": "YS07-BGS",
        "description": "办公室误将报告作为请示报送 (the office filed it as a request)"});
    let (status, _, body) = api.post("office@YS07", "/v1/cause-attributions", &attribution).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, before) = api.get("committee", "/v1/scoreboard?unit=YS07&period=2017-06").await;
    let (_, bgs_before) = api.get("committee", "/v1/scoreboard?unit=YS07-BGS&period=2017-06").await;
    assert_eq!(bgs_before["charges"], 100, "the effective 1.00 is charged to the general office");

    // A client finds the attribution's event in the trace.
    let (_, traces) = api.get("office@YS07", "/v1/traces?unit=YS07&period=2017-06").await;
    let line = traces["traces"][0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|indicator| indicator["lines"].as_array().unwrap().iter())
        .find(|line| line["deduction_id"] == deduction_id.as_str())
        .unwrap()
        .clone();
    let standing = line["attributions"].as_array().unwrap().iter().find(|a| a["standing"] == true).unwrap().clone();
    let event_id = standing["event"]["event_id"].as_str().unwrap().to_owned();

    let filing = json!({"target": {"kind": "cause_attribution", "deduction_id": deduction_id, "attribution_event_id": event_id},
        "grounds": "报告由政工股起草 (the personnel section drafted it)", "evidence_digests": ["cd".repeat(32)]});
    let (status, _, body) = api.post("appellant@YS08", "/v1/appeals", &filing).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("out_of_scope")), "{body}");
    let (status, _, filed) = api.post("appellant@YS07", "/v1/appeals", &filing).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let appeal_id = filed["created_id"].as_str().unwrap().to_owned();

    let (_, queue) = api.get("committee@YS07", "/v1/appeal-queue?unit=YS07").await;
    let queued = &appeals(&queue)[0];
    assert_eq!(
        (queued["target"]["kind"].as_str(), queued["status"].as_str()),
        (Some("cause_attribution"), Some("open"))
    );
    assert_eq!(queued["points_contested"], 100);

    let upheld = json!({"outcome": {"kind": "upheld"}, "reasoning": "起草责任在政工股 (drafted by personnel)"});
    let path = format!("/v1/appeals/{appeal_id}/decision");
    let (status, _, body) = api.post("reviewer", &path, &upheld).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_not_allowed")), "{body}");
    let (status, _, body) = api.post("committee", &path, &upheld).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("out_of_scope")), "{body}");
    let (status, _, body) = api.post("committee@YS07", &path, &upheld).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, after) = api.get("committee", "/v1/scoreboard?unit=YS07&period=2017-06").await;
    assert_eq!(after["final_score"], before["final_score"], "the county's score does not move");
    let (_, bgs_after) = api.get("committee", "/v1/scoreboard?unit=YS07-BGS&period=2017-06").await;
    assert_eq!(bgs_after["charges"], 0, "the charge went back to the lead section");
    let (_, traces) = api.get("office@YS07", "/v1/traces?unit=YS07-ZGG&period=2017-06").await;
    let zg04 = traces["traces"][0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "ZG-04")
        .unwrap()
        .clone();
    let lost = zg04["points_max"].as_i64().unwrap() - zg04["score"].as_i64().unwrap();
    assert_eq!(lost, 100, "the personnel section leads ZG-04 and carries the 1.00 again: {zg04}");
    let (_, traces) = api.get("office@YS07", "/v1/traces?unit=YS07&period=2017-06").await;
    let text = traces.to_string();
    assert!(text.contains("\"overturned_by\":{"), "the trace shows the outcome on the attribution");

    let (_, mine) = api.get("appellant@YS07", "/v1/my-appeals?status=decided").await;
    let on_blame = appeals(&mine).into_iter().find(|a| a["appeal_id"] == appeal_id.as_str()).unwrap();
    assert_eq!(steps(&on_blame), ["filed", "decided"]);
    assert_eq!(on_blame["history"][0]["evidence_digests"], json!(["cd".repeat(32)]));
    assert_eq!(on_blame["history"][1]["verdict"], "upheld");
}
