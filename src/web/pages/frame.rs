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
    let link = |href, key| NavLink {
        href,
        label: lang.word(key),
    };
    match role {
        Role::Inspector => vec![link("/inspect", "page.nav.inspect")],
        Role::Reviewer => vec![link("/queue", "page.nav.queue")],
        Role::Applicant => vec![link("/applications", "page.nav.our_applications")],
        Role::Manager => vec![
            link("/dashboard", "page.nav.dashboard"),
            link("/applications", "page.nav.applications"),
        ],
        Role::Admin => vec![
            link("/admin/users", "page.nav.users"),
            link("/admin/registrations", "page.nav.registrations"),
            link("/admin/reference", "page.nav.reference"),
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
