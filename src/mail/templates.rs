//! The e-mails' words: `templates/email/<kind>/{subject.txt, body.txt, body.html}`, one set per
//! kind, Chinese and English in each, rendered in the recipient's language.

use askama::Template;
use std::fmt;

/// What an e-mail is about; also its `X-Permitflow-Event` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    Submitted,
    Accepted,
    NotAccepted,
    ReviewApproved,
    InfoRequested,
    Issued,
    Rejected,
    Withdrawn,
    TaskOpened,
    Revoked,
    TaskReminder,
    TaskEscalated,
    /// The applicant answered an information request: the task is back in the queue, with the
    /// answer.
    AnswerReceived,
    /// An amendment was approved: the permit's new version.
    AmendmentApproved,
    /// An amendment was not approved, and why.
    AmendmentRejected,
    /// A firm's registration: the link that confirms its e-mail address.
    RegistrationConfirm,
    /// Someone registered with an address that has an account: a notice to its owner.
    RegistrationExists,
    /// The registration was approved: the account is open.
    RegistrationApproved,
    /// The registration was refused, and why.
    RegistrationRejected,
    /// The link to choose a new password.
    PasswordReset,
    /// A colleague invited by the firm's account holder: the link to choose a password.
    Invitation,
    /// To admins: a registration's e-mail is confirmed and it waits for their decision.
    RegistrationWaiting,
}

impl EmailKind {
    pub const ALL: [EmailKind; 22] = [
        EmailKind::Submitted,
        EmailKind::Accepted,
        EmailKind::NotAccepted,
        EmailKind::ReviewApproved,
        EmailKind::InfoRequested,
        EmailKind::Issued,
        EmailKind::Rejected,
        EmailKind::Withdrawn,
        EmailKind::TaskOpened,
        EmailKind::Revoked,
        EmailKind::TaskReminder,
        EmailKind::TaskEscalated,
        EmailKind::AnswerReceived,
        EmailKind::AmendmentApproved,
        EmailKind::AmendmentRejected,
        EmailKind::RegistrationConfirm,
        EmailKind::RegistrationExists,
        EmailKind::RegistrationApproved,
        EmailKind::RegistrationRejected,
        EmailKind::PasswordReset,
        EmailKind::Invitation,
        EmailKind::RegistrationWaiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Submitted => "submitted",
            EmailKind::Accepted => "accepted",
            EmailKind::NotAccepted => "not_accepted",
            EmailKind::ReviewApproved => "review_approved",
            EmailKind::InfoRequested => "info_requested",
            EmailKind::Issued => "issued",
            EmailKind::Rejected => "rejected",
            EmailKind::Withdrawn => "withdrawn",
            EmailKind::TaskOpened => "task_opened",
            EmailKind::Revoked => "permit_revoked",
            EmailKind::TaskReminder => "task_reminder",
            EmailKind::TaskEscalated => "task_escalated",
            EmailKind::AnswerReceived => "answer_received",
            EmailKind::AmendmentApproved => "amendment_approved",
            EmailKind::AmendmentRejected => "amendment_rejected",
            EmailKind::RegistrationConfirm => "registration_confirm",
            EmailKind::RegistrationExists => "registration_exists",
            EmailKind::RegistrationApproved => "registration_approved",
            EmailKind::RegistrationRejected => "registration_rejected",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::Invitation => "invitation",
            EmailKind::RegistrationWaiting => "registration_waiting",
        }
    }
}

impl fmt::Display for EmailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a template may say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailContext {
    pub en: bool,
    /// The recipient's name.
    pub name: String,
    pub reference: String,
    /// Where to act: the application or the task.
    pub link: String,
    /// e.g. "Wind turbine blade, 126 m × 4.8 m × 4.9 m, 58 t".
    pub cargo: String,
    /// e.g. "Mulei new-energy equipment park → Santanghu wind farm (652328, 650521)".
    pub route: String,
    /// The authority that acted, or whose queue the task is in.
    pub authority: String,
    /// A reason, a question or a comment.
    pub comment: String,
    pub conditions: Vec<String>,
    /// A deadline in the display time zone.
    pub due: String,
    /// Net time taken, e.g. "3 h 20 min".
    pub net: String,
    pub target_hours: u32,
    /// The permit's number, once there is one.
    pub permit_no: String,
    /// An escalation's level (1–3).
    pub level: i32,
    /// The approvals told in this e-mail (a digest, or the next e-mail of a step).
    pub approvals: Vec<ApprovalLine>,
    /// The authorities still reviewing.
    pub still_reviewing: Vec<String>,
    /// The issued permit's validity, trips and plates.
    pub permit: Option<PermitFacts>,
}

/// One authority's approval, as the applicant reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApprovalLine {
    pub authority: String,
    pub conditions: Vec<String>,
    pub comment: String,
}

/// What a permit allows, for the e-mail that issues it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PermitFacts {
    /// "2026-12-01 至 2026-12-31".
    pub valid: String,
    pub trips: i32,
    /// "新B12345、新B6789挂".
    pub plates: String,
    /// 1 when first issued; each approved amendment re-issues it as the next.
    pub version: i32,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// For each kind, three template types (subject, text, HTML) over one `EmailContext`; the
/// templates name its fields directly (`{{ reference }}`), reached through `Deref`.
macro_rules! email_templates {
    ($($variant:ident => $module:ident => ($subject:literal, $text:literal, $html:literal)),+ $(,)?) => {
        mod generated {
            $(
                pub mod $module {
                    use crate::mail::templates::EmailContext;
                    use askama::Template;

                    #[derive(Template)]
                    #[template(path = $subject, escape = "none")]
                    pub struct Subject<'a> { pub ctx: &'a EmailContext }

                    #[derive(Template)]
                    #[template(path = $text, escape = "none")]
                    pub struct Text<'a> { pub ctx: &'a EmailContext }

                    #[derive(Template)]
                    #[template(path = $html, escape = "html")]
                    pub struct Html<'a> { pub ctx: &'a EmailContext }

                    impl std::ops::Deref for Subject<'_> {
                        type Target = EmailContext;
                        fn deref(&self) -> &EmailContext { self.ctx }
                    }
                    impl std::ops::Deref for Text<'_> {
                        type Target = EmailContext;
                        fn deref(&self) -> &EmailContext { self.ctx }
                    }
                    impl std::ops::Deref for Html<'_> {
                        type Target = EmailContext;
                        fn deref(&self) -> &EmailContext { self.ctx }
                    }
                }
            )+
        }

        /// Renders one kind in the context's language.
        pub fn render(kind: EmailKind, ctx: &EmailContext) -> askama::Result<Rendered> {
            match kind {
                $(EmailKind::$variant => Ok(Rendered {
                    subject: generated::$module::Subject { ctx }.render()?.trim().to_string(),
                    text: generated::$module::Text { ctx }.render()?,
                    html: generated::$module::Html { ctx }.render()?,
                }),)+
            }
        }
    };
}

email_templates!(
    Submitted => submitted => ("email/submitted/subject.txt", "email/submitted/body.txt", "email/submitted/body.html"),
    Accepted => accepted => ("email/accepted/subject.txt", "email/accepted/body.txt", "email/accepted/body.html"),
    NotAccepted => not_accepted => ("email/not_accepted/subject.txt", "email/not_accepted/body.txt", "email/not_accepted/body.html"),
    ReviewApproved => review_approved => ("email/review_approved/subject.txt", "email/review_approved/body.txt", "email/review_approved/body.html"),
    InfoRequested => info_requested => ("email/info_requested/subject.txt", "email/info_requested/body.txt", "email/info_requested/body.html"),
    Issued => issued => ("email/issued/subject.txt", "email/issued/body.txt", "email/issued/body.html"),
    Rejected => rejected => ("email/rejected/subject.txt", "email/rejected/body.txt", "email/rejected/body.html"),
    Withdrawn => withdrawn => ("email/withdrawn/subject.txt", "email/withdrawn/body.txt", "email/withdrawn/body.html"),
    TaskOpened => task_opened => ("email/task_opened/subject.txt", "email/task_opened/body.txt", "email/task_opened/body.html"),
    Revoked => permit_revoked => ("email/permit_revoked/subject.txt", "email/permit_revoked/body.txt", "email/permit_revoked/body.html"),
    TaskReminder => task_reminder => ("email/task_reminder/subject.txt", "email/task_reminder/body.txt", "email/task_reminder/body.html"),
    TaskEscalated => task_escalated => ("email/task_escalated/subject.txt", "email/task_escalated/body.txt", "email/task_escalated/body.html"),
    AnswerReceived => answer_received => ("email/answer_received/subject.txt", "email/answer_received/body.txt", "email/answer_received/body.html"),
    AmendmentApproved => amendment_approved => ("email/amendment_approved/subject.txt", "email/amendment_approved/body.txt", "email/amendment_approved/body.html"),
    AmendmentRejected => amendment_rejected => ("email/amendment_rejected/subject.txt", "email/amendment_rejected/body.txt", "email/amendment_rejected/body.html"),
    RegistrationConfirm => registration_confirm => ("email/registration_confirm/subject.txt", "email/registration_confirm/body.txt", "email/registration_confirm/body.html"),
    RegistrationExists => registration_exists => ("email/registration_exists/subject.txt", "email/registration_exists/body.txt", "email/registration_exists/body.html"),
    RegistrationApproved => registration_approved => ("email/registration_approved/subject.txt", "email/registration_approved/body.txt", "email/registration_approved/body.html"),
    RegistrationRejected => registration_rejected => ("email/registration_rejected/subject.txt", "email/registration_rejected/body.txt", "email/registration_rejected/body.html"),
    PasswordReset => password_reset => ("email/password_reset/subject.txt", "email/password_reset/body.txt", "email/password_reset/body.html"),
    Invitation => invitation => ("email/invitation/subject.txt", "email/invitation/body.txt", "email/invitation/body.html"),
    RegistrationWaiting => registration_waiting => ("email/registration_waiting/subject.txt", "email/registration_waiting/body.txt", "email/registration_waiting/body.html"),
);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(en: bool) -> EmailContext {
        EmailContext {
            en,
            name: if en {
                "Li Na".into()
            } else {
                "王调度".into()
            },
            reference: "PF-2026-000123".into(),
            link: "https://permits.example.cn/applications/4f1c".into(),
            cargo: "Wind turbine blade, 126 × 4.8 × 4.9 m, 58 t".into(),
            route: if en {
                "Mulei park → Santanghu wind farm (via Mulei, Barkol)".into()
            } else {
                "木垒园区 → 三塘湖风电场（途经木垒哈萨克自治县、巴里坤哈萨克自治县）".into()
            },
            authority: if en {
                "Barkol Traffic Police Brigade".into()
            } else {
                "巴里坤哈萨克自治县公安局交通警察大队".into()
            },
            comment: "Escort plan page 2 <missing> & unsigned".into(),
            conditions: vec!["night travel only".into(), "police escort".into()],
            due: if en {
                "2026-12-01 20:45 Beijing time".into()
            } else {
                "2026-12-01 20:45（北京时间）".into()
            },
            net: "5 h 15 min".into(),
            target_hours: 24,
            permit_no: "652328-2026-000042".into(),
            level: 2,
            approvals: vec![
                ApprovalLine {
                    authority: if en {
                        "Mulei Transport Bureau"
                    } else {
                        "木垒县交通运输局"
                    }
                    .into(),
                    conditions: vec!["night travel only".into()],
                    comment: String::new(),
                },
                ApprovalLine {
                    authority: if en {
                        "Hami Highway Administration"
                    } else {
                        "哈密公路管理局"
                    }
                    .into(),
                    conditions: Vec::new(),
                    comment: "K12 bridge: one vehicle at a time".into(),
                },
            ],
            still_reviewing: vec![if en {
                "Barkol Traffic Police Brigade"
            } else {
                "巴里坤县交警大队"
            }
            .into()],
            permit: Some(PermitFacts {
                valid: if en {
                    "2026-12-01 to 2026-12-31"
                } else {
                    "2026-12-01 至 2026-12-31"
                }
                .into(),
                trips: 30,
                plates: if en {
                    "新B12345, 新B6789挂"
                } else {
                    "新B12345、新B6789挂"
                }
                .into(),
                version: 2,
            }),
        }
    }

    #[test]
    fn every_kind_in_both_languages() {
        for kind in EmailKind::ALL {
            for en in [false, true] {
                let r = render(kind, &sample(en)).unwrap();
                let lang = if en { "en" } else { "zh" };
                insta::assert_snapshot!(
                    format!("{kind}_{lang}"),
                    format!(
                        "Subject: {}\n\n{}\n---- html ----\n{}",
                        r.subject, r.text, r.html
                    )
                );
                if kind != EmailKind::PasswordReset {
                    assert!(r.subject.contains("PF-2026-000123"), "{kind}");
                }
                assert!(!r.subject.contains('\n'));
                assert!(
                    !r.html.contains("<missing>"),
                    "user text is escaped in HTML"
                );
                assert!(
                    !r.html.contains("<img") && !r.html.contains("<link"),
                    "no remote assets"
                );
                assert!(r.text.contains(&sample(en).link) && r.html.contains(&sample(en).link));
            }
        }
    }
}
