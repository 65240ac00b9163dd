//! The words of the fixture: problem categories with how a deduction in each is worded, and the
//! formatting of points in the reasons (`0.35分`).
//!
//! Invariant: every category here is a well-formed `ProblemCategory` slug, and every reason it makes
//! is valid free text (no control characters): the fixture's own tests hold both.

use super::rng::SplitMix64;

/// A problem category (问题类别) and how a finding of it is counted and worded: Chinese with `{n}`,
/// the unit word (每户, 每件 …), and English with `{n}`.
pub struct Category {
    pub slug: &'static str,
    pub cn: &'static str,
    pub per: &'static str,
    pub en: &'static str,
}

pub const CATEGORIES: [Category; 17] = [
    Category { slug: "late_submission", cn: "报送逾期{n}天", per: "天", en: "filed {n} day(s) late" },
    Category { slug: "overdue_case", cn: "超时办结{n}件", per: "件", en: "{n} case(s) closed late" },
    Category { slug: "missing_report", cn: "应报未报{n}项", per: "项", en: "{n} item(s) not filed" },
    Category {
        slug: "document_filing",
        cn: "公文文种或格式错误{n}处",
        per: "处",
        en: "{n} document-type or format error(s)",
    },
    Category { slug: "records_incomplete", cn: "台账资料缺失{n}项", per: "项", en: "{n} record(s) missing" },
    Category {
        slug: "data_quality",
        cn: "数据质量抽查错误{n}条",
        per: "条",
        en: "{n} data error(s) found in sampling",
    },
    Category {
        slug: "registration_data_quality",
        cn: "抽查发现登记信息错漏{n}户",
        per: "户",
        en: "registration data wrong for {n} taxpayer(s)",
    },
    Category {
        slug: "process_noncompliance",
        cn: "未按规定程序办理{n}件",
        per: "件",
        en: "{n} case(s) handled outside procedure",
    },
    Category {
        slug: "enforcement_error", cn: "执法案卷瑕疵{n}件", per: "件", en: "{n} enforcement file defect(s)"
    },
    Category {
        slug: "service_complaint",
        cn: "纳税人有效投诉{n}件",
        per: "件",
        en: "{n} upheld taxpayer complaint(s)",
    },
    Category {
        slug: "invoice_management",
        cn: "发票管理问题{n}个",
        per: "个",
        en: "{n} invoice-management problem(s)",
    },
    Category {
        slug: "information_publicity",
        cn: "信息报送差{n}篇未完成任务数",
        per: "篇",
        en: "{n} report(s) short of the quota",
    },
    Category {
        slug: "training_attendance", cn: "培训缺勤{n}人次", per: "人次", en: "{n} absence(s) from training"
    },
    Category { slug: "integrity", cn: "廉政检查发现问题{n}个", per: "个", en: "{n} integrity finding(s)" },
    Category {
        slug: "security", cn: "安全保密检查发现隐患{n}处", per: "处", en: "{n} security finding(s)"
    },
    Category {
        slug: "policy_implementation",
        cn: "税收政策落实不到位{n}户",
        per: "户",
        en: "policy not applied for {n} taxpayer(s)",
    },
    Category {
        slug: "tax_source_analysis",
        cn: "分析报告质量问题{n}处",
        per: "处",
        en: "{n} weakness(es) in the analysis report",
    },
];

pub fn category(slug: &str) -> &'static Category {
    CATEGORIES.iter().find(|category| category.slug == slug).expect("a category of the fixture")
}

/// Points in hundredths as a bureau writes them: `35` → `0.35`, `100` → `1`, `150` → `1.5`.
pub fn points_text(hundredths: i64) -> String {
    let whole = hundredths / 100;
    match hundredths % 100 {
        0 => whole.to_string(),
        part if part % 10 == 0 => format!("{whole}.{}", part / 10),
        part => format!("{whole}.{part:02}"),
    }
}

/// The units a finding may be counted in (hundredths each), smallest first.
const PER_FINDING: [i64; 6] = [5, 10, 20, 25, 50, 100];

/// How a deduction of `amount` is worded: `n` findings at `each`, or one finding of `amount`.
pub fn findings(rng: &mut SplitMix64, amount: i64) -> (i64, i64) {
    let fits: Vec<(i64, i64)> = PER_FINDING
        .iter()
        .filter(|each| amount % **each == 0 && amount / **each <= 12)
        .map(|each| (amount / each, *each))
        .collect();
    if fits.is_empty() || rng.chance(150) {
        return (1, amount);
    }
    *rng.pick(&fits)
}

/// A deduction's reason: what was found on which work, counted and priced.
pub fn deduction_reason(topic: (&str, &str), slug: &str, findings: (i64, i64)) -> String {
    let category = category(slug);
    let (count, each) = findings;
    let cn = category.cn.replace("{n}", &count.to_string());
    let en = category.en.replace("{n}", &count.to_string());
    let total = points_text(count * each);
    if count == 1 {
        format!("{}：{cn}，扣{total}分 ({}: {en}, −{total})", topic.0, topic.1)
    } else {
        format!(
            "{}：{cn}，每{}扣{}分，计{total}分 ({}: {en}, {} each, {total} in all)",
            topic.0,
            category.per,
            points_text(each),
            topic.1,
            points_text(each)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_read_as_a_bureau_writes_them() {
        assert_eq!(points_text(35), "0.35");
        assert_eq!(points_text(100), "1");
        assert_eq!(points_text(150), "1.5");
        assert_eq!(points_text(205), "2.05");
    }

    #[test]
    fn categories_are_slugs_and_reasons_add_up() {
        for category in &CATEGORIES {
            crate::domain::ProblemCategory::new(category.slug).expect("a slug");
        }
        let mut rng = SplitMix64::new(7);
        for amount in (5..=400).step_by(5) {
            let (count, each) = findings(&mut rng, amount);
            assert_eq!(count * each, amount);
        }
        let reason = deduction_reason(("公文处理", "document handling"), "late_submission", (3, 10));
        assert_eq!(reason, "公文处理：报送逾期3天，每天扣0.1分，计0.3分 (document handling: filed 3 day(s) late, 0.1 each, 0.3 in all)");
    }
}
