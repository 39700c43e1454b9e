//! The words pages show for the engine's codes (states, phases, events), in both languages.

use crate::i18n::Lang;

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En {
        en
    } else {
        zh
    }
}

pub fn app_status(status: &str, lang: Lang) -> &'static str {
    match status {
        "draft" => pick(lang, "草稿", "Draft"),
        "submitted" => pick(lang, "待受理", "Submitted"),
        "under_review" => pick(lang, "联审中", "Under review"),
        "info_requested" => pick(lang, "待补正", "Information requested"),
        "issued" => pick(lang, "已发证", "Issued"),
        "not_accepted" => pick(lang, "不予受理", "Not accepted"),
        "rejected" => pick(lang, "不予许可", "Refused"),
        "withdrawn" => pick(lang, "已撤回", "Withdrawn"),
        _ => pick(lang, "未知", "Unknown"),
    }
}

pub fn task_state(state: &str, lang: Lang) -> &'static str {
    match state {
        "waiting" => pick(lang, "待开始", "Waiting"),
        "open" => pick(lang, "待办", "Open"),
        "claimed" => pick(lang, "办理中", "In hand"),
        "approved" => pick(lang, "同意", "Approved"),
        "rejected" => pick(lang, "不同意", "Refused"),
        "info_requested" => pick(lang, "要求补正", "Information requested"),
        "cancelled" => pick(lang, "已取消", "Cancelled"),
        _ => pick(lang, "未知", "Unknown"),
    }
}

pub fn phase(name: &str, lang: Lang) -> String {
    match name {
        "acceptance" => pick(lang, "受理", "Acceptance").into(),
        "joint_review" => pick(lang, "同步联审", "Joint review").into(),
        "issuance" => pick(lang, "签发", "Issuance").into(),
        "amendment" => pick(lang, "变更审核", "Amendment review").into(),
        "county_review" => pick(lang, "县级审核", "County review").into(),
        "prefecture_review" => pick(lang, "地州审核", "Prefecture review").into(),
        "region_review" => pick(lang, "自治区审核", "Region review").into(),
        other => other.replace('_', " "),
    }
}

/// An amendment's state in words.
pub fn amendment_status(
    status: crate::domain::amendment::AmendmentStatus,
    lang: Lang,
) -> &'static str {
    use crate::domain::amendment::AmendmentStatus;
    match status {
        AmendmentStatus::UnderReview => pick(lang, "变更审核中", "Amendment under review"),
        AmendmentStatus::Approved => pick(lang, "变更已批准", "Amendment approved"),
        AmendmentStatus::Rejected => pick(lang, "变更未批准", "Amendment not approved"),
        AmendmentStatus::Withdrawn => pick(lang, "变更已撤回", "Amendment withdrawn"),
    }
}

pub fn event(kind: &str, lang: Lang) -> String {
    let known = match kind {
        "created" => Some(("创建草稿", "Draft created")),
        "edited" => Some(("修改申请", "Edited")),
        "attachment_added" => Some(("上传附件", "Attachment added")),
        "submitted" => Some(("提交申请", "Submitted")),
        "phase_opened" => Some(("环节开始", "Phase opened")),
        "phase_completed" => Some(("环节完成", "Phase completed")),
        "task_claimed" => Some(("认领任务", "Task claimed")),
        "task_released" => Some(("释放任务", "Task released")),
        "task_approved" => Some(("审核同意", "Approved")),
        "task_rejected" => Some(("审核不同意", "Refused")),
        "info_requested" => Some(("要求补正", "Information requested")),
        "responded" => Some(("补正答复", "Applicant answered")),
        "accepted" => Some(("受理", "Accepted")),
        "not_accepted" => Some(("不予受理", "Not accepted")),
        "rejected" => Some(("不予许可", "Refused")),
        "issued" => Some(("发证", "Issued")),
        "withdrawn" => Some(("撤回", "Withdrawn")),
        "permit_issued" => Some(("生成许可证", "Permit created")),
        "trip_recorded" => Some(("现场核销", "Trip recorded")),
        "trip_refused" => Some(("核销被拒", "Trip refused")),
        "permit_revoked" => Some(("撤销许可证", "Permit revoked")),
        "task_reminded" => Some(("督办提醒", "Reminder: due soon")),
        "task_escalated" => Some(("逾期督办", "Overdue: escalated")),
        "progress_reported" => Some(("邮件告知审核进展", "Progress e-mailed to the applicant")),
        "amendment_requested" => Some(("申请变更", "Amendment asked for")),
        "permit_amended" => Some(("变更批准，许可证重新签发", "Amended: permit re-issued")),
        "amendment_rejected" => Some(("变更未获批准", "Amendment not approved")),
        "amendment_withdrawn" => Some(("撤回变更申请", "Amendment withdrawn")),
        _ => None,
    };
    match known {
        Some((zh, en)) => pick(lang, zh, en).into(),
        None => kind.replace('_', " "),
    }
}

/// A form's field errors in words, each after its field's name ("实际号牌：为必填项；…").
pub fn field_errors(
    errors: &crate::domain::ValidationErrors,
    lang: Lang,
    name: impl Fn(&str) -> String,
) -> String {
    let (colon, separator) = match lang {
        Lang::En => (": ", " "),
        Lang::Zh => ("：", "；"),
    };
    errors
        .0
        .iter()
        .map(|e| format!("{}{colon}{}", name(&e.field), lang.message(&e.message)))
        .collect::<Vec<_>>()
        .join(separator)
}

/// "3 h 20 min" / "3 小时 20 分钟".
pub fn duration(minutes: i64, lang: Lang) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (lang, h) {
        (Lang::En, 0) => format!("{m} min"),
        (Lang::En, _) => format!("{h} h {m} min"),
        (Lang::Zh, 0) => format!("{m} 分钟"),
        (Lang::Zh, _) => format!("{h} 小时 {m} 分钟"),
    }
}

/// The language of a page that was handed `en`.
pub fn language(en: bool) -> Lang {
    if en {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// A page's fixed text in the language of `en`.
pub fn word(en: bool, key: &'static str) -> &'static str {
    language(en).word(key)
}

/// A length of time counted on a task's clock: "2 working hours", "1 h 30 min of working
/// time", "3 h".
fn budget_length(minutes: i64, working: bool, lang: Lang) -> String {
    let minutes = minutes.abs();
    match (working, minutes % 60 == 0 && minutes > 0) {
        (true, true) => lang.text(
            if minutes == 60 {
                "page.due.working_hour"
            } else {
                "page.due.working_hours"
            },
            &[("n", (minutes / 60).to_string())],
        ),
        (true, false) => lang.text(
            "page.due.working_time",
            &[("length", duration(minutes, lang))],
        ),
        (false, _) => duration(minutes, lang),
    }
}

/// When a pending task falls due, as its reviewer reads it: "due in 2 working hours
/// (tomorrow 11:30)", "due in 3 h (today 23:00)", "overdue by 1 h 30 min of working time".
pub fn due_in(
    remaining_minutes: Option<i64>,
    working: bool,
    due: Option<chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
    tz: chrono_tz::Tz,
    lang: Lang,
) -> String {
    use chrono::TimeZone;
    let (Some(remaining), Some(due)) = (remaining_minutes, due) else {
        return String::new();
    };
    let length = budget_length(remaining, working, lang);
    if remaining < 0 {
        return lang.text("page.due.overdue_by", &[("length", length)]);
    }
    let (due, today) = (
        tz.from_utc_datetime(&due),
        tz.from_utc_datetime(&now).date_naive(),
    );
    let day = match (due.date_naive() - today).num_days() {
        0 => lang.word("page.due.today").to_string(),
        1 => lang.word("page.due.tomorrow").to_string(),
        _ => due.format("%m-%d").to_string(),
    };
    lang.text(
        "page.due.in",
        &[
            ("length", length),
            ("when", format!("{day} {}", due.format("%H:%M"))),
        ],
    )
}

/// Conditions reviewers set again and again (kept with the other words in [`crate::i18n`]).
pub use crate::i18n::{condition, COMMON_CONDITIONS};

/// A role in the reader's words.
pub fn role(role: &str, lang: Lang) -> &'static str {
    let (zh, en) = match role {
        "applicant" => ("申请人", "applicant"),
        "reviewer" => ("审核员", "reviewer"),
        "inspector" => ("检查员", "inspector"),
        "manager" => ("督办", "manager"),
        "admin" => ("管理员", "admin"),
        _ => ("—", "—"),
    };
    pick(lang, zh, en)
}

/// An authority's kind in the reader's words.
pub fn authority_kind(kind: &str, lang: Lang) -> &'static str {
    let (zh, en) = match kind {
        "TRANSPORT" => ("交通运输", "transport"),
        "HIGHWAY" => ("公路", "highway"),
        "POLICE" => ("公安交警", "traffic police"),
        "GRID" => ("电力", "power grid"),
        _ => ("其他", "other"),
    };
    pick(lang, zh, en)
}

/// Where a reference row comes from: the shipped data files, or an admin.
pub fn source(source: &str, lang: Lang) -> &'static str {
    match source {
        "shipped" => pick(lang, "内置数据", "shipped data"),
        "admin" => pick(lang, "管理员设置", "set by an admin"),
        _ => pick(lang, "其他", "other"),
    }
}

/// An admin event's kind in the reader's words.
pub fn admin_event(kind: &str, lang: Lang) -> String {
    let known = match kind {
        "user_created" => Some(("创建用户", "User created")),
        "user_updated" => Some(("修改用户", "User changed")),
        "password_set" => Some(("重设密码", "Password set")),
        "user_activated" => Some(("启用账户", "Account switched on")),
        "user_deactivated" => Some(("停用账户", "Account switched off")),
        "firm_standing_set" => Some(("设置企业资质与限制", "Firm's standing set")),
        "calendar_day_set" => Some(("设置日历日期", "Calendar day set")),
        "calendar_day_cleared" => Some(("撤销日历日期", "Calendar day removed")),
        "draft_discarded" => Some(("删除草稿", "Draft discarded")),
        "registration_submitted" => Some(("企业注册", "Firm registered")),
        "registration_repeated" => Some((
            "已有账户的邮箱再次注册（已通知该邮箱）",
            "Registration with an address that has an account (its owner told)",
        )),
        "registration_confirmed" => Some(("注册邮箱已确认", "Registration e-mail confirmed")),
        "registration_approved" => Some(("注册通过审核", "Registration approved")),
        "registration_rejected" => Some(("注册未通过审核", "Registration refused")),
        "registration_expired" => Some(("注册未确认已过期", "Unconfirmed registration expired")),
        "password_reset_requested" => Some(("申请重置密码", "Password reset asked for")),
        "password_reset" => Some(("通过邮件链接重置密码", "Password reset by e-mailed link")),
        "password_changed" => Some(("本人修改密码", "Password changed by its owner")),
        "account_updated" => Some(("本人修改账户设置", "Account settings changed by its owner")),
        "colleague_invited" => Some(("邀请同事", "Colleague invited")),
        "invitation_accepted" => Some(("接受邀请", "Invitation accepted")),
        "colleague_activated" => Some(("启用同事账户", "Colleague switched on")),
        "colleague_deactivated" => Some(("停用同事账户", "Colleague switched off")),
        _ => None,
    };
    match known {
        Some((zh, en)) => pick(lang, zh, en).to_string(),
        None => kind.replace('_', " "),
    }
}

/// An admin event's detail as words ("角色：审核员 · 机构：652328-POLICE"), not JSON.
pub fn admin_detail(detail: &str, lang: Lang) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return detail.to_string();
    };
    let mut parts = Vec::new();
    for (key, value) in &fields {
        let name = match key.as_str() {
            "role" => pick(lang, "角色", "role"),
            "authority" => pick(lang, "机构", "authority"),
            "scope" => pick(lang, "督办范围", "scope"),
            "oversize_qualified" => pick(lang, "大件运输资质", "oversize qualified"),
            "restricted_until" => pick(lang, "限制申请至", "no applications until"),
            "jurisdiction" => pick(lang, "日历", "calendar"),
            "working" => pick(lang, "工作日", "working day"),
            "note" => pick(lang, "说明", "note"),
            "day" => pick(lang, "日期", "day"),
            "active" => pick(lang, "启用", "active"),
            "language" => pick(lang, "语言", "language"),
            "name" => pick(lang, "姓名", "name"),
            "firm_code" => pick(lang, "统一社会信用代码", "credit code"),
            "firm_name" => pick(lang, "企业", "firm"),
            "address" => pick(lang, "来源地址", "from address"),
            "account" => pick(lang, "已有账户", "has an account"),
            "new_firm" => pick(lang, "新企业", "new firm"),
            "firm_holder" => pick(lang, "企业账户负责人", "firm's account holder"),
            "reason" => pick(lang, "理由", "reason"),
            // Internal ids say nothing to a reader.
            _ => continue,
        };
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(true) => pick(lang, "是", "yes").to_string(),
            serde_json::Value::Bool(false) => pick(lang, "否", "no").to_string(),
            serde_json::Value::String(s) if key == "role" => role(s, lang).to_string(),
            serde_json::Value::String(s) if key == "language" => {
                if s == "en" { "English" } else { "中文" }.to_string()
            }
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        parts.push(format!("{name}{}{text}", pick(lang, "：", ": ")));
    }
    parts.join(" · ")
}
