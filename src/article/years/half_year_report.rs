//! The article's own story, in June–July 2016: the general office (办公室) filed YS07's half-year work
//! report as a request (请示) instead of a report (报告); the city returned it and deducted the points
//! from YS07 on `ZG-04`, which the personnel section (政工股) leads; the performance office traced the
//! cause to the office, with the corrected filing as evidence; the office rectified; YS07 appealed, and
//! the city restored one of the two points. (The publication on 07-12 and the finalisation on 07-25,
//! once the escalation window of the decision has closed, are the month's own steps.)
//!
//! Invariant: the dates are DOMAIN.md's, in the ledger's time zone (UTC+08:00); the documents the facts
//! cite are the blake3 digests of `DOCUMENTS`, which the demo stores beside the chain.

use serde_json::json;

use super::{actor, local, Builder, CITY, SUBJECT};
use crate::domain::Role;

pub const LABEL_DEDUCTION: &str = "2016-06.ZG-04.deduct";
pub const LABEL_ATTRIBUTION: &str = "2016-06.ZG-04.attribute";
pub const LABEL_RECTIFICATION: &str = "2016-06.ZG-04.rectify";
pub const LABEL_APPEAL: &str = "2016-06.ZG-04.appeal";
pub const LABEL_DECISION: &str = "2016-06.ZG-04.decide";

/// The documents of the story: the returned filing, the corrected one, the revised procedure.
pub const RETURNED_FILING: &str = "丙县国家税务局\n关于2016年上半年工作情况的请示\n丙国税发〔2016〕31号\n\n\
市局：\n现将我局2016年上半年工作情况报告如下……妥否，请批示。\n\n2016年7月7日\n\n\
——乙市国家税务局办公室退文：文种错误（工作总结应以报告行文，不得用请示），予以退回。2016年7月11日\n";
pub const CORRECTED_FILING: &str = "丙县国家税务局\n关于2016年上半年工作情况的报告\n丙国税发〔2016〕33号\n\n\
市局：\n现将我局2016年上半年工作情况报告如下……\n特此报告。\n\n2016年7月13日\n";
pub const REVISED_PROCEDURE: &str = "丙县国家税务局办公室\n公文处理流程（2016年7月修订）\n\n\
一、上报市局的文件，由办公室主任核对文种（报告、请示、函）后方可报送。\n\
二、工作总结、情况汇报一律用报告，不得夹带请示事项。\n\
三、每月通报公文文种、格式差错情况。\n";

/// The story's documents, by what they are, for storing beside the chain.
pub const DOCUMENTS: [(&str, &str); 3] = [
    ("the half-year report filed as a request (请示), with the city's return note", RETURNED_FILING),
    ("the half-year report refiled as a report (报告)", CORRECTED_FILING),
    ("the office's revised filing procedure", REVISED_PROCEDURE),
];

/// The blake3 digest (hex) of a document: what facts cite it by.
pub fn digest(document: &str) -> String {
    blake3::hash(document.as_bytes()).to_hex().to_string()
}

pub(super) fn steps(builder: &mut Builder) {
    let assessor = actor("assessor.ys.zhang", Role::Assessor, CITY);
    let office = actor("office.ys07", Role::Office, SUBJECT);
    let appellant = actor("appellant.ys07", Role::Appellant, SUBJECT);
    let reviewer = actor("reviewer.ys.li", Role::Reviewer, CITY);
    let deduction_id = builder.push(
        LABEL_DEDUCTION,
        local(2016, 7, 11, 10, 0),
        &assessor,
        "RecordDeduction",
        json!({
            "scheme": "YS-2016", "period": "2016-06", "unit": SUBJECT, "indicator": "ZG-04", "points": 200,
            "reason": "半年工作报告应于7月10日前以报告文种报送；7月7日以请示文种报送（公文文种错误），市局7月11日退回，\
                       视为未报送，扣2分 (the half-year work report, due by 07-10 as a report (报告), was filed on 07-07 \
                       as a request (请示), the wrong document type; the city returned it on 07-11 and counts it as \
                       missing: −2)",
            "problem_category": "document_filing",
            "evidence_digests": [digest(RETURNED_FILING)],
        }),
    );
    builder.push(
        LABEL_ATTRIBUTION,
        local(2016, 7, 13, 10, 0),
        &office,
        "AttributeCause",
        json!({
            "deduction_id": deduction_id,
            "cause_unit": "YS07-BGS",
            "description": "办公室将半年工作报告误以请示文种报送（公文文种错误），致市局退回；政工股已按时提交报告稿 \
                            (the general office filed the half-year report as a request instead of a report, the wrong \
                            document type, so the city returned it; the personnel section had handed in its draft on time)",
            "evidence_digests": [digest(CORRECTED_FILING)],
        }),
    );
    builder.push(
        LABEL_RECTIFICATION,
        local(2016, 7, 13, 16, 0),
        &office,
        "RecordRectification",
        json!({
            "deduction_id": deduction_id,
            "description": "办公室已以报告文种重新报送，并修订公文处理流程：上报文件由办公室主任核对文种后报送 \
                            (the office refiled it as a report and revised its procedure: the office head checks the \
                            document type of everything sent to the city)",
            "evidence_digests": [digest(CORRECTED_FILING), digest(REVISED_PROCEDURE)],
        }),
    );
    let appeal_id = builder.push(
        LABEL_APPEAL,
        local(2016, 7, 14, 9, 0),
        &appellant,
        "FileAppeal",
        json!({
            "target": {"kind": "deduction", "deduction_id": deduction_id},
            "grounds": "报告已于7月7日按时报送，仅文种不规范；按指标说明，不规范扣1分，应扣1分而非2分 \
                        (the report was filed in time, on 07-07, only under the wrong type; by the indicator's own \
                        terms that is non-compliant, −1, not missing, −2)",
            "evidence_digests": [digest(RETURNED_FILING)],
        }),
    );
    builder.push(
        LABEL_DECISION,
        local(2016, 7, 19, 16, 0),
        &reviewer,
        "DecideAppeal",
        json!({
            "appeal_id": appeal_id,
            "outcome": {"kind": "partial", "points_restored": 100},
            "reasoning": "报告按时报送但文种错误，属报送不规范，按指标说明扣1分，恢复1分 \
                          (filed in time but under the wrong type: non-compliant, which costs 1 point by the indicator's \
                          terms; 1 point restored)",
        }),
    );
}
