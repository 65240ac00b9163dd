//! Every word the site shows, in one place: `ZH` now; an English `Text` is one more constant here
//! when the language switch comes. Pages take a `&Text` and never spell a word themselves.

use crate::domain::Role;
use crate::service::listings::PeriodStatus;

/// The words of the site in one language.
pub struct Text {
    /// The `lang` attribute of every page.
    pub lang: &'static str,
    pub site_name: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub token_label: &'static str,
    pub token_hint: &'static str,
    pub sign_in_button: &'static str,
    pub sign_in_refused: &'static str,
    pub sign_in_expired: &'static str,
    pub sign_out_button: &'static str,
    pub signed_in_as: &'static str,
    pub local_reader: &'static str,
    pub overview_title: &'static str,
    pub scheme_label: &'static str,
    pub group_label: &'static str,
    pub group_units: &'static str,
    pub group_sections: &'static str,
    pub period_label: &'static str,
    pub as_of_label: &'static str,
    pub as_of_hint: &'static str,
    pub show_button: &'static str,
    pub latest: &'static str,
    pub as_of_event: &'static str,
    pub rank: &'static str,
    pub tier: &'static str,
    pub unit_code: &'static str,
    pub unit_name: &'static str,
    pub county: &'static str,
    pub final_score: &'static str,
    pub veto: &'static str,
    pub tier_n: (&'static str, &'static str),
    pub chart_title: &'static str,
    pub chart_label: &'static str,
    pub provisional_badge: &'static str,
    pub provisional_note: &'static str,
    pub unassessed_note: (&'static str, &'static str),
    pub unranked_note: &'static str,
    pub no_standings: &'static str,
    pub no_schemes: &'static str,
    pub no_periods: &'static str,
    pub download: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_intro: &'static str,
    pub not_found_title: &'static str,
    pub bad_request_title: &'static str,
    pub csrf_title: &'static str,
    pub csrf_intro: &'static str,
    pub error_title: &'static str,
    pub error_intro: &'static str,
    pub back_to_overview: &'static str,
    pub objection_open_until: &'static str,
    pub published_at: &'static str,
    pub footer: &'static str,
}

impl Text {
    /// The status of a period in words.
    pub const fn status(&self, status: PeriodStatus) -> &'static str {
        match status {
            PeriodStatus::Open => "未发布",
            PeriodStatus::Published => "已发布",
            PeriodStatus::Final => "已定稿",
        }
    }

    /// A role in words.
    pub fn role(&self, role: Role) -> &'static str {
        match role {
            Role::Admin => "管理员",
            Role::Assessor => "考核人员",
            Role::Office => "绩效办",
            Role::Appellant => "申诉人",
            Role::Reviewer => "复核人员",
            Role::Committee => "考核委员会",
            Role::Auditor => "审计人员",
            #[allow(unreachable_patterns)]
            _ => role.as_str(),
        }
    }
}

/// Chinese, the product's language.
pub const ZH: Text = Text {
    lang: "zh-CN",
    site_name: "绩效考核台账",
    sign_in_title: "登录",
    sign_in_intro: "请粘贴管理员发给您的访问令牌（kpi_ 开头）。令牌只在本次登录时使用，浏览器只保存一个会话编号。",
    token_label: "访问令牌",
    token_hint: "kpi_…",
    sign_in_button: "登录",
    sign_in_refused: "令牌无效、已撤销或已过期，请向管理员申请新的令牌。",
    sign_in_expired: "会话已结束，请重新登录。",
    sign_out_button: "退出",
    signed_in_as: "当前用户",
    local_reader: "本机只读",
    overview_title: "排名总览",
    scheme_label: "考核方案",
    group_label: "排名组",
    group_units: "各县（区）",
    group_sections: "职能科室",
    period_label: "考核期间",
    as_of_label: "截至日期",
    as_of_hint: "留空为最新",
    show_button: "查看",
    latest: "最新",
    as_of_event: "截至第 {} 号事件",
    rank: "排名",
    tier: "等次",
    unit_code: "代码",
    unit_name: "单位",
    county: "所属县",
    final_score: "得分",
    veto: "一票否决",
    tier_n: ("第", "等次"),
    chart_title: "得分与等次",
    chart_label: "各单位得分柱状图",
    provisional_badge: "暂定",
    provisional_note: "以下期间尚未发布，结果为暂定，可能变化：",
    unassessed_note: ("有 ", " 项等次指标尚未评定，暂按满分计。"),
    unranked_note: "未参加排名：",
    no_standings: "该期间尚无排名结果。",
    no_schemes: "台账中尚无考核方案。",
    no_periods: "该方案尚未开启任何考核期间。",
    download: "下载",
    forbidden_title: "无权查看",
    forbidden_intro: "您的角色或单位范围不能查看此页面：",
    not_found_title: "未找到",
    bad_request_title: "请求有误",
    csrf_title: "表单无效",
    csrf_intro: "表单已过期或缺少安全校验码，未执行任何操作。请返回页面重新提交。",
    error_title: "出错了",
    error_intro: "服务器未能完成请求，已记录在日志中。",
    back_to_overview: "返回排名总览",
    objection_open_until: "异议期至",
    published_at: "发布于",
    footer: "所有数字均可追溯至哈希链上的事件。",
};
