//! Synthetic sealed chains for tests of the store alone: raw envelopes of a made-up event type, with
//! numbered data, over a few streams. The store checks bytes and links, not what events mean, so these
//! exercise it without the rules.

use kpi_ledger::chain::{seal_body, EventBody, Head, Sealed};
use kpi_ledger::domain::{RecordedBy, Role, Timestamp};
use kpi_ledger::store::SealedAppend;

/// Who records synthetic events.
pub fn recorder() -> RecordedBy {
    RecordedBy { id: "assessor-ys".into(), role: Role::Assessor }
}

/// 11 July 2017 at `hour`:00 UTC.
pub fn at(hour: u8) -> Timestamp {
    Timestamp::from_civil(2017, 7, 11, hour, 0, 0).expect("a valid time")
}

/// `count` events after `head`, on `stream` starting at `first_version`, with deterministic ids.
pub fn events(head: Head, stream: &str, first_version: u64, count: u64) -> Vec<Sealed> {
    let mut sealed: Vec<Sealed> = Vec::new();
    for index in 0..count {
        let previous = sealed.last().map_or(head, Sealed::head);
        let seq = previous.seq + 1;
        let body = EventBody {
            event_id: uuid::Uuid::from_u128(0x0187_0000_0000_7000_8000_0000_0000_0000 + u128::from(seq)),
            stream: stream.into(),
            stream_version: first_version + index,
            event_type: "TestEvent".into(),
            schema_version: 1,
            recorded_at: at(9),
            actor: recorder(),
            command_id: None,
            causation_id: None,
            correlation_id: None,
            imported: None,
            data: serde_json::json!({"n": seq, "note": "半年工作报告"}),
        };
        sealed.push(seal_body(&previous, body).expect("synthetic events are small"));
    }
    sealed
}

/// A chain of `count` events from genesis, spread over `streams` streams, in appends of up to
/// `per_append` events each.
pub fn appends(count: u64, streams: u64, per_append: u64) -> Vec<SealedAppend> {
    let mut head = Head::EMPTY;
    let mut versions = vec![0u64; streams.max(1) as usize];
    let mut appends = Vec::new();
    let mut written = 0;
    let mut n = 0u64;
    while written < count {
        let take = (1 + n % per_append.max(1)).min(count - written);
        let stream_index = (n % streams.max(1)) as usize;
        let events = events(head, &format!("s-{stream_index}"), versions[stream_index] + 1, take);
        versions[stream_index] += take;
        head = events.last().expect("at least one").head();
        appends.push(SealedAppend { events, command: None });
        written += take;
        n += 1;
    }
    appends
}
