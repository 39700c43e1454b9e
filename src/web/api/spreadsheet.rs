//! The turnaround CSV as a spreadsheet opens it (`format=spreadsheet`): UTF-8 with a byte
//! order mark (so Excel reads Chinese), headers in the reader's language, words instead of
//! codes (status, yes/no), and authorities' names beside their codes, ready to hand on. The
//! default CSV stays the data integrations parse.

use crate::db::reports::ReportRow;
use crate::i18n::Lang;
use crate::service::reference::Names;
use crate::service::reports::Turnaround;
use crate::service::ServiceError;
use crate::web::pages::labels;
use chrono::{NaiveDateTime, TimeZone};

/// What makes a spreadsheet open UTF-8 as UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En {
        en
    } else {
        zh
    }
}

fn finish(out: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ServiceError> {
    let body = out
        .into_inner()
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok([BOM, &body].concat())
}

fn csv_error(e: csv::Error) -> ServiceError {
    ServiceError::Internal(e.into())
}

/// One row per application.
pub fn applications(
    rows: Vec<ReportRow>,
    names: &Names,
    lang: Lang,
    timezone: chrono_tz::Tz,
) -> Result<Vec<u8>, ServiceError> {
    let local = |at: Option<NaiveDateTime>| {
        at.map(|at| {
            timezone
                .from_utc_datetime(&at)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
    };
    let yes_no = |flag: Option<i32>| match flag {
        Some(1) => pick(lang, "是", "yes"),
        Some(_) => pick(lang, "否", "no"),
        None => "",
    };
    let workflow = |w: Option<String>| match w.as_deref() {
        Some("joint") => pick(lang, "同步联审", "joint review").to_string(),
        Some("serial") => pick(lang, "逐级审批", "serial").to_string(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(if lang == Lang::En {
        [
            "Application",
            "Status",
            "Workflow",
            "Class",
            "Issuing authority code",
            "Issuing authority",
            "Submitted (Beijing time)",
            "Decided (Beijing time)",
            "Paused for the applicant (hours)",
            "Net time (hours)",
            "Within 24 hours",
            "Within the statutory deadline",
            "Permit",
        ]
    } else {
        [
            "申请编号",
            "状态",
            "审批方式",
            "类别",
            "发证机关代码",
            "发证机关",
            "提交时间（北京时间）",
            "办结时间（北京时间）",
            "等待申请人补正（小时）",
            "净用时（小时）",
            "24 小时内办结",
            "法定时限内办结",
            "许可证号",
        ]
    })
    .map_err(csv_error)?;
    for r in rows {
        let code = r.issuing_authority.unwrap_or_default();
        out.write_record([
            r.reference,
            labels::app_status(&r.status, lang).to_string(),
            workflow(r.workflow),
            r.permit_class.unwrap_or_default(),
            code.clone(),
            names.authorities.get(&code).cloned().unwrap_or_default(),
            local(r.submitted_at),
            local(r.decided_at),
            format!("{:.2}", f64::from(r.paused_minutes) / 60.0),
            r.net_minutes
                .map(|m| format!("{:.2}", f64::from(m) / 60.0))
                .unwrap_or_default(),
            yes_no(r.within_target).to_string(),
            yes_no(r.within_statutory).to_string(),
            r.permit_no.unwrap_or_default(),
        ])
        .map_err(csv_error)?;
    }
    finish(out)
}

/// The groups' table, each group named (an authority by its name beside its code).
pub fn groups(report: &Turnaround, names: &Names, lang: Lang) -> Result<Vec<u8>, ServiceError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let group = match (report.group.as_str(), lang) {
        ("authority", Lang::En) => "Authority",
        ("authority", Lang::Zh) => "审批机构",
        ("week", Lang::En) => "Week from",
        ("week", Lang::Zh) => "周（起始日）",
        ("workflow", Lang::En) => "Workflow",
        ("workflow", Lang::Zh) => "审批方式",
        ("class", Lang::En) => "Class",
        ("class", Lang::Zh) => "类别",
        (_, Lang::En) => "Group",
        (_, Lang::Zh) => "分组",
    };
    // An authority's share is of its tasks within their budget; the others' of applications
    // within the 24-hour target.
    let by_authority = report.group == "authority";
    out.write_record(if lang == Lang::En {
        [
            group,
            "Name",
            if by_authority {
                "Tasks decided"
            } else {
                "Applications decided"
            },
            "Median (hours)",
            "9 in 10 within (hours)",
            "Longest (hours)",
            if by_authority {
                "Within the task's budget (%)"
            } else {
                "Within 24 hours (%)"
            },
            "Within the statutory deadline (%)",
            "Open tasks",
            "Overdue tasks",
        ]
    } else {
        [
            group,
            "名称",
            if by_authority {
                "已办任务数"
            } else {
                "已办结件数"
            },
            "中位用时（小时）",
            "九成件数在此时间内（小时）",
            "最长用时（小时）",
            if by_authority {
                "时限内完成（%）"
            } else {
                "24 小时内办结（%）"
            },
            "法定时限内办结（%）",
            "在办任务",
            "超时任务",
        ]
    })
    .map_err(csv_error)?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let int = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for g in &report.groups {
        let name = match report.group.as_str() {
            "authority" => names.authorities.get(&g.key).cloned().unwrap_or_default(),
            "workflow" => match g.key.as_str() {
                "joint" => pick(lang, "同步联审", "joint review").to_string(),
                "serial" => pick(lang, "逐级审批", "serial").to_string(),
                other => other.to_string(),
            },
            _ => String::new(),
        };
        out.write_record([
            g.key.clone(),
            name,
            g.count.to_string(),
            opt(g.median_hours),
            opt(g.p90_hours),
            opt(g.max_hours),
            opt(g.within_target_pct),
            opt(g.within_statutory_pct),
            int(g.open_tasks),
            int(g.overdue_tasks),
        ])
        .map_err(csv_error)?;
    }
    finish(out)
}
