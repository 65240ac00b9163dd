//! The appeal queue: appeals waiting for a decision, with their deadlines, and those overdue at a
//! given instant.
//!
//! Invariant: "now" is an argument (the caller's clock, or the as-of instant), never read here; a
//! decision is overdue when `now` is past its due time, counted in whole days of 24 hours.

use serde::{Deserialize, Serialize};

use crate::domain::appeal::{AppealStage, AppealTarget};
use crate::domain::timestamp::MICROS_PER_DAY;
use crate::domain::{AppealId, IndicatorCode, PeriodId, Points, SchemeId, Timestamp, UnitCode};

use super::Projection;
use crate::domain::EventRef;

/// Every appeal waiting for a decision at `now`, by due time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealQueue {
    pub now: Timestamp,
    pub waiting: Vec<QueuedAppeal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedAppeal {
    pub appeal_id: AppealId,
    pub target: AppealTarget,
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub appellant: UnitCode,
    pub points_contested: Points,
    pub stage: AppealStage,
    /// The filing, or the escalation when escalated.
    pub waiting_since: EventRef,
    pub decision_due_at: Timestamp,
    pub overdue: bool,
    /// Whole days past the due time (0 when not overdue).
    pub days_overdue: i64,
}

impl AppealQueue {
    pub fn overdue(&self) -> impl Iterator<Item = &QueuedAppeal> {
        self.waiting.iter().filter(|appeal| appeal.overdue)
    }
}

impl Projection {
    /// The appeals waiting for a decision, as they stand in this projection, judged at `now`.
    pub fn appeal_queue(&self, now: Timestamp) -> AppealQueue {
        let mut waiting: Vec<QueuedAppeal> = self
            .facts
            .appeals
            .values()
            .filter(|appeal| appeal.awaiting_decision)
            .map(|appeal| {
                let filed = &appeal.filed;
                let late_micros = now.unix_micros() - appeal.decision_due_at.unix_micros();
                let waiting_since = appeal.escalations.last().map_or(&appeal.event, |escalation| &escalation.event);
                QueuedAppeal {
                    appeal_id: filed.appeal_id,
                    target: filed.target,
                    scheme: filed.scheme.clone(),
                    period: filed.period,
                    unit: filed.unit.clone(),
                    indicator: filed.indicator.clone(),
                    appellant: filed.appellant.clone(),
                    points_contested: filed.points_contested,
                    stage: appeal.stage,
                    waiting_since: waiting_since.clone(),
                    decision_due_at: appeal.decision_due_at,
                    overdue: late_micros > 0,
                    days_overdue: late_micros.max(0) / MICROS_PER_DAY,
                }
            })
            .collect();
        waiting.sort_by(|a, b| a.decision_due_at.cmp(&b.decision_due_at).then_with(|| a.appeal_id.cmp(&b.appeal_id)));
        AppealQueue { now, waiting }
    }
}
