//! The city's indicators (指标库) year by year. In 2014 the city split every piece of work into
//! aspects — its rules, the quality and the timeliness of the work, its records — and issued 183
//! indicators; it merged them year after year (80, 46, 28), which is the article's "30 → 13 → 8 → 5"
//! per section. Each function (办公室 BGS, 政工股 ZG, 征管股 ZGU, 税政股 SZ, 纳税服务股 NF, 法规股 FG)
//! has its topics; a year takes as many indicators of a function as `CITY_INDICATORS` says, topic by
//! topic, splitting topics into aspects while more are needed.
//!
//! A few codes are the same every year: `ZG-04` the half-year work report, `ZGU-02` revenue completion
//! (tiered, the key work), `ZGU-03` registration data quality. Three indicators do not apply to YS07
//! (no exporters, no foreign business, no canteen) and it drops them, with reason and approver.
//!
//! Invariant: a year's points add up to exactly 100.00, every `points_max` is a multiple of 0.25 (so
//! a tier's share of it and every deduction are multiples of 0.05), and the counts per function are
//! those of `CITY_INDICATORS`.

use super::FUNCTIONS;

/// The city's indicators per function (BGS, ZG, ZGU, SZ, NF, FG), by year.
pub const CITY_INDICATORS: [(i32, [usize; 6]); 4] = [
    (2014, [39, 27, 36, 32, 28, 21]),
    (2015, [17, 12, 15, 14, 12, 10]),
    (2016, [10, 7, 8, 9, 7, 5]),
    (2017, [6, 4, 5, 5, 4, 4]),
];

/// How completion of a tiered indicator is measured and graded (tier 1 to 4: 1000/800/600/0‰).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Revenue,
    Arrears,
    Satisfaction,
    Online,
    Enforcement,
    TaxSource,
}

/// What a scale measures, its four standards, and the band of readings (in tenths) in each tier.
pub struct ScaleText {
    pub measure: (&'static str, &'static str),
    pub unit: &'static str,
    pub standards: [&'static str; 4],
    pub bands: [(i64, i64); 4],
}

impl Scale {
    pub fn text(self) -> ScaleText {
        match self {
            Scale::Revenue => ScaleText {
                measure: ("完成率", "completion"),
                unit: "%",
                standards: [
                    "完成率 ≥ 100% (completion at least 100%)",
                    "完成率 ≥ 98% (at least 98%)",
                    "完成率 ≥ 95% (at least 95%)",
                    "完成率 < 95% (below 95%)",
                ],
                bands: [(1000, 1058), (980, 999), (950, 979), (890, 949)],
            },
            Scale::Arrears => ScaleText {
                measure: ("清缴率", "arrears cleared"),
                unit: "%",
                standards: [
                    "清缴率 ≥ 90% (at least 90% cleared)",
                    "清缴率 ≥ 80% (at least 80%)",
                    "清缴率 ≥ 70% (at least 70%)",
                    "清缴率 < 70% (below 70%)",
                ],
                bands: [(900, 986), (800, 899), (700, 799), (520, 699)],
            },
            Scale::Satisfaction => ScaleText {
                measure: ("满意度", "satisfaction"),
                unit: "%",
                standards: [
                    "满意度 ≥ 95% (at least 95% satisfied)",
                    "满意度 ≥ 90% (at least 90%)",
                    "满意度 ≥ 85% (at least 85%)",
                    "满意度 < 85% (below 85%)",
                ],
                bands: [(950, 994), (900, 949), (850, 899), (740, 849)],
            },
            Scale::Online => ScaleText {
                measure: ("网上申报率", "filed online"),
                unit: "%",
                standards: [
                    "网上申报率 ≥ 98% (at least 98% filed online)",
                    "网上申报率 ≥ 95% (at least 95%)",
                    "网上申报率 ≥ 90% (at least 90%)",
                    "网上申报率 < 90% (below 90%)",
                ],
                bands: [(980, 999), (950, 979), (900, 949), (810, 899)],
            },
            Scale::Enforcement => ScaleText {
                measure: ("执法过错率", "enforcement error rate"),
                unit: "‰",
                standards: [
                    "过错率 ≤ 0.5‰ (error rate at most 0.5‰)",
                    "过错率 ≤ 1‰ (at most 1‰)",
                    "过错率 ≤ 2‰ (at most 2‰)",
                    "过错率 > 2‰ (above 2‰)",
                ],
                bands: [(0, 5), (6, 10), (11, 20), (21, 38)],
            },
            Scale::TaxSource => ScaleText {
                measure: ("重点税源监控覆盖率", "key taxpayers monitored"),
                unit: "%",
                standards: [
                    "覆盖率 ≥ 95% (at least 95% monitored)",
                    "覆盖率 ≥ 90% (at least 90%)",
                    "覆盖率 ≥ 85% (at least 85%)",
                    "覆盖率 < 85% (below 85%)",
                ],
                bands: [(950, 1000), (900, 949), (850, 899), (720, 849)],
            },
        }
    }
}

/// The per-mille share of each tier.
pub const TIER_SHARES: [i64; 4] = [1000, 800, 600, 0];

/// One piece of a function's work.
struct Topic {
    cn: &'static str,
    en: &'static str,
    categories: &'static [&'static str],
    /// Its code number every year (`ZG-04`).
    fixed: Option<u32>,
    /// Tiered in these years, else scored by deduction.
    tiered: Option<(Scale, &'static [i32])>,
    /// Never split into aspects.
    single: bool,
    /// An indicator YS07 drops, with the reason, issued only in these years.
    dropped: Option<(&'static str, &'static [i32])>,
    /// The months it can lose points in (a half-year report: June and December); all when empty.
    months: &'static [u8],
    veto: bool,
}

const fn topic(cn: &'static str, en: &'static str, categories: &'static [&'static str]) -> Topic {
    Topic { cn, en, categories, fixed: None, tiered: None, single: false, dropped: None, months: &[], veto: false }
}

const ALL_YEARS: &[i32] = &[2014, 2015, 2016, 2017];

/// The topics of each function, most important first: a small year takes the first ones.
fn topics(function: usize) -> Vec<Topic> {
    match function {
        0 => vec![
            Topic {
                dropped: Some((
                    "机关后勤社会化：本局未设机关食堂 (outsourced canteen: the bureau runs none)",
                    ALL_YEARS,
                )),
                single: true,
                ..topic(
                    "机关后勤社会化",
                    "outsourced canteen and logistics",
                    &["process_noncompliance", "records_incomplete"],
                )
            },
            topic("公文处理", "document handling", &["document_filing", "late_submission"]),
            topic("政务信息", "government information", &["information_publicity", "late_submission"]),
            topic("督查督办", "follow-up of assigned tasks", &["overdue_case", "records_incomplete"]),
            topic("绩效管理", "performance management", &["late_submission", "records_incomplete"]),
            topic("档案管理", "archives", &["records_incomplete", "document_filing"]),
            topic("保密管理", "confidentiality", &["security", "process_noncompliance"]),
            topic("安全管理", "safety and security", &["security", "records_incomplete"]),
            topic("财务管理", "finance", &["process_noncompliance", "records_incomplete"]),
            topic("会议管理", "meetings", &["late_submission", "process_noncompliance"]),
            topic("信息化运维", "IT operations", &["security", "data_quality"]),
        ],
        1 => vec![
            topic("领导班子建设", "leadership team", &["integrity", "records_incomplete"]),
            topic("干部教育培训", "staff training", &["training_attendance", "records_incomplete"]),
            topic("人事管理", "personnel administration", &["data_quality", "late_submission", "records_incomplete"]),
            Topic {
                fixed: Some(4),
                single: true,
                months: &[6, 12],
                ..topic(
                    "半年工作报告报送",
                    "half-year work report",
                    &["document_filing", "late_submission", "missing_report"],
                )
            },
            topic("党风廉政建设", "integrity", &["integrity", "process_noncompliance"]),
            topic("精神文明建设", "civic conduct", &["records_incomplete", "information_publicity"]),
            topic("考勤与作风", "attendance and conduct", &["training_attendance", "integrity"]),
            topic("工资与社保", "payroll and insurance", &["data_quality", "late_submission"]),
        ],
        2 => vec![
            Topic {
                dropped: Some((
                    "国际税收情报交换：本县无涉外业务 (tax-information exchange: no foreign business)",
                    &[2014],
                )),
                single: true,
                ..topic(
                    "国际税收情报交换",
                    "international tax-information exchange",
                    &["late_submission", "overdue_case"],
                )
            },
            topic("征管基础", "collection basics", &["data_quality", "process_noncompliance"]),
            Topic {
                fixed: Some(2),
                tiered: Some((Scale::Revenue, ALL_YEARS)),
                single: true,
                ..topic("税收收入完成率", "revenue completion", &[])
            },
            Topic {
                fixed: Some(3),
                single: true,
                ..topic("税务登记信息质量", "registration data quality", &["registration_data_quality"])
            },
            Topic {
                tiered: Some((Scale::Arrears, ALL_YEARS)),
                single: true,
                ..topic("欠税清缴", "arrears clearance", &[])
            },
            topic("发票管理", "invoice management", &["invoice_management", "process_noncompliance"]),
            topic("申报征收", "filing and collection", &["late_submission", "data_quality"]),
            topic("户籍管理", "taxpayer register", &["registration_data_quality", "overdue_case"]),
            topic("征管数据质量", "collection data quality", &["data_quality", "records_incomplete"]),
            topic("风险应对", "risk response", &["overdue_case", "process_noncompliance"]),
            topic("税收票证管理", "tax receipts", &["invoice_management", "records_incomplete"]),
            topic("个体定额管理", "quotas of small businesses", &["data_quality", "process_noncompliance"]),
            topic("税务文书送达", "service of tax documents", &["process_noncompliance", "overdue_case"]),
        ],
        3 => vec![
            Topic {
                dropped: Some((
                    "出口退税审核时效：本县无出口企业 (export-refund timeliness: no exporters in the county)",
                    ALL_YEARS,
                )),
                single: true,
                ..topic("出口退税审核时效", "export-refund timeliness", &["overdue_case", "late_submission"])
            },
            topic("税收政策落实", "tax policies applied", &["policy_implementation", "process_noncompliance"]),
            Topic {
                tiered: Some((Scale::TaxSource, &[2014, 2015])),
                ..topic("重点税源监控", "key tax sources", &["tax_source_analysis", "data_quality"])
            },
            topic("税收分析", "tax analysis", &["tax_source_analysis", "late_submission"]),
            topic("减免税管理", "tax relief", &["policy_implementation", "records_incomplete"]),
            topic("所得税汇算清缴", "income-tax reconciliation", &["data_quality", "overdue_case"]),
            topic("增值税管理", "VAT administration", &["invoice_management", "data_quality"]),
            topic("消费税与车购税", "excise and vehicle tax", &["data_quality", "late_submission"]),
            topic("营改增后续管理", "business tax to VAT", &["policy_implementation", "late_submission"]),
            topic("非居民税收管理", "non-resident tax", &["policy_implementation", "late_submission"]),
            topic("企业所得税管理", "enterprise income tax", &["data_quality", "policy_implementation"]),
        ],
        4 => vec![
            Topic {
                tiered: Some((Scale::Satisfaction, ALL_YEARS)),
                single: true,
                ..topic("纳税人满意度", "taxpayer satisfaction", &[])
            },
            topic("办税服务厅管理", "service hall", &["service_complaint", "process_noncompliance"]),
            topic("12366热线", "12366 hotline", &["service_complaint", "overdue_case"]),
            Topic {
                tiered: Some((Scale::Online, &[2014, 2015])),
                ..topic("网上办税", "online services", &["data_quality", "service_complaint"])
            },
            topic("纳税信用评价", "tax credit rating", &["data_quality", "overdue_case"]),
            topic("税法宣传", "tax-law publicity", &["information_publicity", "records_incomplete"]),
            topic("纳税人权益保护", "taxpayer rights", &["service_complaint", "overdue_case"]),
            topic("涉税咨询", "tax consultation", &["service_complaint", "overdue_case"]),
            topic("办税便利化", "simpler procedures", &["process_noncompliance", "overdue_case"]),
            topic("首问责任与限时办结", "first-contact responsibility", &["overdue_case", "service_complaint"]),
        ],
        _ => vec![
            Topic {
                tiered: Some((Scale::Enforcement, ALL_YEARS)),
                single: true,
                ..topic("执法考核", "enforcement review", &[])
            },
            topic("案卷评查", "case files", &["enforcement_error", "records_incomplete"]),
            topic("行政复议与应诉", "administrative review", &["overdue_case", "process_noncompliance"]),
            topic("规范性文件管理", "normative documents", &["document_filing", "process_noncompliance"]),
            topic("重大税务案件审理", "major case review", &["enforcement_error", "overdue_case"]),
            Topic {
                veto: true, ..topic("执法廉政", "integrity in enforcement", &["enforcement_error", "integrity"])
            },
        ],
    }
}

/// The aspects a topic is split into while a year needs more indicators: quality first.
const ASPECTS: [(&str, &str, &[&str]); 4] = [
    ("工作质量", "quality", &[]),
    ("工作时效", "timeliness", &["late_submission", "overdue_case"]),
    ("制度建设", "rules in place", &["process_noncompliance", "records_incomplete"]),
    ("台账资料", "records", &["records_incomplete", "late_submission"]),
];

/// One indicator of one year's city scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub code: String,
    /// Index into `FUNCTIONS`: the function (and the section) it belongs to.
    pub function: usize,
    /// The piece of work, as reasons name it.
    pub topic: (&'static str, &'static str),
    pub name: String,
    pub description: String,
    pub points_max: i64,
    pub scale: Option<Scale>,
    pub categories: Vec<&'static str>,
    /// Why YS07 drops it, when it does.
    pub dropped_by_subject: Option<&'static str>,
    pub months: &'static [u8],
    pub veto: bool,
}

impl Spec {
    pub fn is_tiered(&self) -> bool {
        self.scale.is_some()
    }

    pub fn applies_to(&self, county: &str) -> bool {
        county != super::SUBJECT || self.dropped_by_subject.is_none()
    }

    pub fn in_month(&self, month: u8) -> bool {
        self.months.is_empty() || self.months.contains(&month)
    }
}

/// One year's city scheme: its indicators, by function then code.
#[derive(Clone, Debug)]
pub struct Catalogue {
    pub year: i32,
    pub specs: Vec<Spec>,
}

/// The points of the indicators whose points do not follow from their number.
fn fixed_points(year: i32, code: &str, scale: Option<Scale>) -> Option<i64> {
    let index = (year - 2014) as usize;
    match (code, scale) {
        ("ZGU-02", _) => Some(400),
        ("ZG-04", _) => Some([100, 150, 200, 200][index]),
        (_, Some(_)) => Some([100, 200, 300, 400][index]),
        _ => None,
    }
}

impl Catalogue {
    pub fn for_year(year: i32) -> Catalogue {
        let counts = CITY_INDICATORS.iter().find(|(y, _)| *y == year).map(|(_, counts)| *counts);
        let counts = counts.expect("a year of the fixture");
        let mut specs: Vec<Spec> =
            (0..FUNCTIONS.len()).flat_map(|function| function_specs(year, function, counts[function])).collect();
        allocate_points(year, &mut specs);
        Catalogue { year, specs }
    }

    pub fn spec(&self, code: &str) -> &Spec {
        self.specs.iter().find(|spec| spec.code == code).expect("an indicator of the year")
    }

    /// The indicators that apply to `county`.
    pub fn applicable<'a>(&'a self, county: &'a str) -> impl Iterator<Item = &'a Spec> + 'a {
        self.specs.iter().filter(move |spec| spec.applies_to(county))
    }

    /// Σ `points_max` of what applies to `county`: what its raw score is normalised by.
    pub fn points_total(&self, county: &str) -> i64 {
        self.applicable(county).map(|spec| spec.points_max).sum()
    }
}

/// A function's indicators in `year`: `count` of them, topic by topic, splitting into aspects.
fn function_specs(year: i32, function: usize, count: usize) -> Vec<Spec> {
    let level = match year {
        2014 => 4,
        2015 => 2,
        _ => 1,
    };
    let topics: Vec<Topic> = topics(function)
        .into_iter()
        .filter(|topic| topic.dropped.is_none_or(|(_, years)| years.contains(&year)))
        .collect();
    let tiered_in = |topic: &Topic| topic.tiered.filter(|(_, years)| years.contains(&year)).map(|(scale, _)| scale);
    let mut variants = vec![0usize; topics.len()];
    let mut left = count;
    for round in 0..level {
        for (index, topic) in topics.iter().enumerate() {
            let most = if topic.single || tiered_in(topic).is_some() { 1 } else { level };
            if left > 0 && round < most {
                variants[index] += 1;
                left -= 1;
            }
        }
    }
    assert_eq!(left, 0, "function {function} has too few topics for {count} indicators in {year}");
    let prefix = FUNCTIONS[function].2;
    let reserved: Vec<u32> = topics.iter().filter_map(|topic| topic.fixed).collect();
    let mut next = 1u32;
    let mut number = |fixed: Option<u32>| {
        if let Some(fixed) = fixed {
            return fixed;
        }
        while reserved.contains(&next) {
            next += 1;
        }
        next += 1;
        next - 1
    };
    let mut specs = Vec::new();
    // Specials (the ones YS07 drops) are numbered last, as a scheme lists its odd items last.
    let ordered = topics.iter().zip(&variants).filter(|(topic, _)| topic.dropped.is_none());
    let specials = topics.iter().zip(&variants).filter(|(topic, _)| topic.dropped.is_some());
    for (topic, variants) in ordered.chain(specials) {
        for &(cn, en, aspect_categories) in &ASPECTS[..*variants] {
            let code = format!("{prefix}-{:02}", number(topic.fixed));
            let (name, categories) = match *variants {
                1 => (format!("{} ({})", topic.cn, topic.en), topic.categories.to_vec()),
                _ => {
                    let categories = if aspect_categories.is_empty() { topic.categories } else { aspect_categories };
                    (format!("{}：{cn} ({}: {en})", topic.cn, topic.en), categories.to_vec())
                }
            };
            let scale = tiered_in(topic);
            specs.push(Spec {
                description: description(&code, topic, scale),
                code,
                function,
                topic: (topic.cn, topic.en),
                name,
                points_max: 0,
                scale,
                categories: if scale.is_some() { Vec::new() } else { categories },
                dropped_by_subject: topic.dropped.map(|(reason, _)| reason),
                months: topic.months,
                veto: topic.veto,
            });
        }
    }
    specs.sort_by(|a, b| a.code.cmp(&b.code));
    specs
}

fn description(code: &str, topic: &Topic, scale: Option<Scale>) -> String {
    match (code, scale) {
        ("ZG-04", _) => "上半年工作总结以报告文种于7月10日前报送；未报送扣全部分值，不规范扣一半 \
                         (the first half summarised in a report (报告), filed by 07-10; missing: all points, non-compliant: half)"
            .to_owned(),
        (_, Some(scale)) => {
            let text = scale.text();
            format!("按{}分档考核 (graded by {})", text.measure.0, text.measure.1)
        }
        _ => format!("考核{}工作，按问题扣分 (points taken per finding in {})", topic.cn, topic.en),
    }
}

/// Gives every indicator its points: the fixed ones theirs, the others an equal share in steps of
/// 0.25, the remainder to the first of them (key work first), so that the year adds up to 100.00.
fn allocate_points(year: i32, specs: &mut [Spec]) {
    let fixed: i64 = specs.iter().filter_map(|spec| fixed_points(year, &spec.code, spec.scale)).sum();
    let rest = specs.iter().filter(|spec| fixed_points(year, &spec.code, spec.scale).is_none()).count() as i64;
    let share = 10_000 - fixed;
    let base = share / rest / 25 * 25;
    let mut extra = (share - base * rest) / 25;
    // The first indicator of each function, then the next ones, get the remainder: key work first.
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|index| {
        let within = specs[..*index].iter().filter(|spec| spec.function == specs[*index].function).count();
        (within, specs[*index].function)
    });
    for index in order {
        let spec = &mut specs[index];
        spec.points_max = match fixed_points(year, &spec.code, spec.scale) {
            Some(points) => points,
            None if extra > 0 && spec.dropped_by_subject.is_none() => {
                extra -= 1;
                base + 25
            }
            None => base,
        };
    }
    assert_eq!(extra, 0, "the remainder of {year}'s points found indicators to go to");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_year_adds_up_to_100_points_in_the_counts_planned() {
        for (year, counts) in CITY_INDICATORS {
            let catalogue = Catalogue::for_year(year);
            assert_eq!(catalogue.specs.iter().map(|spec| spec.points_max).sum::<i64>(), 10_000, "{year}");
            for (function, count) in counts.iter().enumerate() {
                assert_eq!(catalogue.specs.iter().filter(|spec| spec.function == function).count(), *count);
            }
            assert!(catalogue.specs.iter().all(|spec| spec.points_max % 25 == 0 && spec.points_max > 0));
            let mut codes: Vec<&str> = catalogue.specs.iter().map(|spec| spec.code.as_str()).collect();
            codes.dedup();
            assert_eq!(codes.len(), catalogue.specs.len(), "codes are unique in {year}");
            assert_eq!(catalogue.spec("ZG-04").topic.0, "半年工作报告报送");
            assert_eq!(catalogue.spec("ZGU-02").scale, Some(Scale::Revenue));
            assert_eq!(catalogue.spec("ZGU-02").points_max, 400);
            assert_eq!(catalogue.spec("ZGU-03").categories, ["registration_data_quality"]);
        }
        assert_eq!(Catalogue::for_year(2016).specs.len(), 46);
        assert_eq!(Catalogue::for_year(2016).spec("ZG-04").points_max, 200);
    }
}
