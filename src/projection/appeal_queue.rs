//! The appeal queue: appeals with where each stands (open, escalated, decided, withdrawn), their
//! deadlines, those overdue at a given instant, and each appeal's history — filed, decided, escalated,
//! withdrawn, with the times and evidence of each step. By default it holds the appeals waiting for a
//! decision; a status filter selects others (an appellant's "my appeals" lists every status).
//!
//! Invariant: "now" is an argument (the caller's clock, or the as-of instant), never read here; a
//! decision is overdue when `now` is past its due time while it is still awaited, counted in whole days
//! of 24 hours. A history lists every event of the appeal once, in chain order.

use serde::{Deserialize, Serialize};

use crate::domain::appeal::{AppealStage, AppealTarget, AppealVerdict};
use crate::domain::facts::AppealFacts;
use crate::domain::timestamp::MICROS_PER_DAY;
use crate::domain::{AppealId, EvidenceDigest, IndicatorCode, PeriodId, Points, SchemeId, Timestamp, UnitCode};

use super::Projection;
use crate::domain::EventRef;

/// The appeals a filter selects, judged at `now`, by due time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealQueue {
    pub now: Timestamp,
    /// Which statuses the list holds.
    pub status: StatusFilter,
    pub appeals: Vec<QueuedAppeal>,
}

/// Where an appeal stands: exactly one of these at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    /// Filed, waiting for its first decision.
    Open,
    /// Escalated to the committee, waiting for its decision.
    Escalated,
    /// A decision stands and nothing is awaited (it may still be escalated within its window).
    Decided,
    /// Withdrawn by the appellant (after an escalation, the first decision stands).
    Withdrawn,
}

/// Which appeals a list holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Waiting for a decision: open or escalated (the queue's default).
    #[default]
    Waiting,
    Open,
    Escalated,
    Decided,
    Withdrawn,
    /// Waiting for a decision past its due time.
    Overdue,
    /// Every appeal, whatever its status.
    All,
}

impl StatusFilter {
    /// Every filter, as the API spells it.
    pub const NAMES: &'static [&'static str] =
        &["waiting", "open", "escalated", "decided", "withdrawn", "overdue", "all"];

    pub fn parse(text: &str) -> Option<StatusFilter> {
        Some(match text {
            "waiting" => StatusFilter::Waiting,
            "open" => StatusFilter::Open,
            "escalated" => StatusFilter::Escalated,
            "decided" => StatusFilter::Decided,
            "withdrawn" => StatusFilter::Withdrawn,
            "overdue" => StatusFilter::Overdue,
            "all" => StatusFilter::All,
            _ => return None,
        })
    }

    /// Whether an appeal of `status`, overdue or not, belongs in the list.
    pub fn admits(self, status: AppealStatus, overdue: bool) -> bool {
        match self {
            StatusFilter::Waiting => matches!(status, AppealStatus::Open | AppealStatus::Escalated),
            StatusFilter::Open => status == AppealStatus::Open,
            StatusFilter::Escalated => status == AppealStatus::Escalated,
            StatusFilter::Decided => status == AppealStatus::Decided,
            StatusFilter::Withdrawn => status == AppealStatus::Withdrawn,
            StatusFilter::Overdue => overdue,
            StatusFilter::All => true,
        }
    }
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
    pub status: AppealStatus,
    pub stage: AppealStage,
    /// The verdict of the standing decision, once there is one.
    pub verdict: Option<AppealVerdict>,
    /// What the standing decision restores (always 0.00 on a cause attribution).
    pub points_restored: Points,
    /// The filing, or the escalation when escalated.
    pub waiting_since: EventRef,
    /// When the awaited (or, once decided, the last awaited) decision is or was due.
    pub decision_due_at: Timestamp,
    /// Until when the standing decision may be escalated, while it still may.
    pub escalation_window_closes_at: Option<Timestamp>,
    /// Waiting for a decision past its due time.
    pub overdue: bool,
    /// Whole days past the due time (0 when not overdue).
    pub days_overdue: i64,
    /// Every step, in chain order.
    pub history: Vec<AppealStep>,
}

/// One step of an appeal's history, with the event that recorded it and its time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum AppealStep {
    Filed {
        event: EventRef,
        at: Timestamp,
        appellant: UnitCode,
        grounds: String,
        evidence_digests: Vec<EvidenceDigest>,
        decision_due_at: Timestamp,
    },
    Decided {
        event: EventRef,
        at: Timestamp,
        stage: AppealStage,
        verdict: AppealVerdict,
        points_restored: Points,
        reasoning: String,
        evidence_digests: Vec<EvidenceDigest>,
        escalation_window_closes_at: Option<Timestamp>,
    },
    Escalated {
        event: EventRef,
        at: Timestamp,
        grounds: String,
        evidence_digests: Vec<EvidenceDigest>,
        decision_due_at: Timestamp,
    },
    Withdrawn {
        event: EventRef,
        at: Timestamp,
        reason: Option<String>,
    },
}

impl AppealStep {
    pub fn event(&self) -> &EventRef {
        match self {
            AppealStep::Filed { event, .. }
            | AppealStep::Decided { event, .. }
            | AppealStep::Escalated { event, .. }
            | AppealStep::Withdrawn { event, .. } => event,
        }
    }
}

impl AppealQueue {
    pub fn overdue(&self) -> impl Iterator<Item = &QueuedAppeal> {
        self.appeals.iter().filter(|appeal| appeal.overdue)
    }
}

/// Where an appeal stands.
pub fn status_of(appeal: &AppealFacts) -> AppealStatus {
    match (appeal.is_withdrawn(), appeal.awaiting_decision, appeal.stage) {
        (true, _, _) => AppealStatus::Withdrawn,
        (false, true, AppealStage::First) => AppealStatus::Open,
        (false, true, AppealStage::Escalated) => AppealStatus::Escalated,
        (false, false, _) => AppealStatus::Decided,
    }
}

/// Every step of an appeal, in chain order.
pub fn history_of(appeal: &AppealFacts) -> Vec<AppealStep> {
    let filed = &appeal.filed;
    let mut steps = vec![AppealStep::Filed {
        event: appeal.event.clone(),
        at: appeal.event.recorded_at,
        appellant: filed.appellant.clone(),
        grounds: filed.grounds.clone(),
        evidence_digests: filed.evidence_digests.clone(),
        decision_due_at: filed.decision_due_at,
    }];
    steps.extend(appeal.decisions.iter().map(|decision| AppealStep::Decided {
        event: decision.event.clone(),
        at: decision.event.recorded_at,
        stage: decision.stage,
        verdict: decision.verdict,
        points_restored: decision.points_restored,
        reasoning: decision.reasoning.clone(),
        evidence_digests: decision.evidence_digests.clone(),
        escalation_window_closes_at: decision.escalation_window_closes_at,
    }));
    steps.extend(appeal.escalations.iter().map(|escalation| AppealStep::Escalated {
        event: escalation.event.clone(),
        at: escalation.event.recorded_at,
        grounds: escalation.grounds.clone(),
        evidence_digests: escalation.evidence_digests.clone(),
        decision_due_at: escalation.decision_due_at,
    }));
    steps.extend(appeal.withdrawal.iter().map(|event| AppealStep::Withdrawn {
        event: event.clone(),
        at: event.recorded_at,
        reason: appeal.withdrawal_reason.clone(),
    }));
    steps.sort_by_key(|step| step.event().seq);
    steps
}

/// One appeal as a list shows it, judged at `now`.
pub fn queued(appeal: &AppealFacts, now: Timestamp) -> QueuedAppeal {
    let filed = &appeal.filed;
    let late_micros = now.unix_micros() - appeal.decision_due_at.unix_micros();
    let overdue = appeal.awaiting_decision && late_micros > 0;
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
        status: status_of(appeal),
        stage: appeal.stage,
        verdict: appeal.last_verdict(),
        points_restored: appeal.points_restored,
        waiting_since: waiting_since.clone(),
        decision_due_at: appeal.decision_due_at,
        escalation_window_closes_at: appeal.escalation_window_closes_at,
        overdue,
        days_overdue: if overdue { late_micros / MICROS_PER_DAY } else { 0 },
        history: history_of(appeal),
    }
}

impl Projection {
    /// The appeals waiting for a decision, as they stand in this projection, judged at `now`.
    pub fn appeal_queue(&self, now: Timestamp) -> AppealQueue {
        self.appeals_with_status(now, StatusFilter::Waiting, |_| true)
    }

    /// The appeals `status` selects among those `keep` admits, judged at `now`, by due time.
    pub fn appeals_with_status(
        &self,
        now: Timestamp,
        status: StatusFilter,
        keep: impl Fn(&AppealFacts) -> bool,
    ) -> AppealQueue {
        let mut appeals: Vec<QueuedAppeal> = self
            .facts
            .appeals
            .values()
            .filter(|appeal| {
                let overdue = appeal.awaiting_decision && now > appeal.decision_due_at;
                status.admits(status_of(appeal), overdue) && keep(appeal)
            })
            .map(|appeal| queued(appeal, now))
            .collect();
        appeals.sort_by(|a, b| a.decision_due_at.cmp(&b.decision_due_at).then_with(|| a.appeal_id.cmp(&b.appeal_id)));
        AppealQueue { now, status, appeals }
    }
}
