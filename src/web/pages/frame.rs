//! What the frame around every page shows: who is signed in, the links of their role, and the
//! sign-out form.

use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::Caller;
use crate::web::session;
use actix_session::Session;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

pub struct SignedIn {
    pub name: String,
    pub links: Vec<NavLink>,
}

#[derive(Default)]
pub struct Frame {
    pub user: Option<SignedIn>,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: String,
}

/// The pages each role starts from; more join as they are built.
fn links(role: Role, lang: Lang) -> Vec<NavLink> {
    let en = lang == Lang::En;
    let link = |href, en_label, zh_label| NavLink {
        href,
        label: if en { en_label } else { zh_label },
    };
    match role {
        Role::Inspector => vec![link("/inspect", "Check a permit", "核验通行证")],
        Role::Reviewer => vec![link("/queue", "Review queue", "待办审核")],
        Role::Applicant => vec![link("/applications", "Our applications", "本单位申请")],
        Role::Manager => vec![
            link("/dashboard", "Dashboard", "管理看板"),
            link("/applications", "Applications", "申请"),
        ],
        Role::Admin => vec![
            link("/admin/users", "Users", "用户管理"),
            link("/admin/reference", "Firms & calendar", "企业与日历"),
        ],
    }
}

/// Where a role starts after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Applicant => "/applications",
        Role::Manager => "/dashboard",
        Role::Reviewer => "/queue",
        Role::Inspector => "/inspect",
        Role::Admin => "/admin/users",
    }
}

impl Frame {
    pub fn for_user(current: Option<&Caller>, session: &Session, lang: Lang) -> Frame {
        match current {
            None => Frame::default(),
            Some(current) => Frame {
                user: Some(SignedIn {
                    name: current.user.name.clone(),
                    links: links(current.role, lang),
                }),
                csrf: session::csrf_token(session),
            },
        }
    }
}
