//! The account pages: registering a firm and confirming its e-mail, "forgot password" and the
//! new password by its link, accepting an invitation, and "my account" (name, language,
//! password, and for a firm's account holder its colleagues).

use super::frame::Frame;
use super::html_with_status;
use crate::config::Secret;
use crate::domain::ValidationErrors;
use crate::i18n::Lang;
use crate::service::accounts::{self as service, ColleagueState, NewRegistration};
use crate::service::{Caller, ServiceError};
use crate::web::error::AppError;
use crate::web::extract::{ClientAddress, Locale};
use crate::web::input::{Form, Query};
use crate::web::session::{self, SignedIn};
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register_form)
        .service(register)
        .service(confirm_form)
        .service(confirm)
        .service(reset_form)
        .service(reset)
        .service(new_password_form)
        .service(new_password)
        .service(invitation_form)
        .service(accept_invitation)
        .service(account)
        .service(update_account)
        .service(change_password)
        .service(invite)
        .service(colleague_active);
}

/// One input of a public form.
pub struct FieldLine {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub hint: &'static str,
    pub error: String,
}

fn pick(en: bool, zh: &'static str, english: &'static str) -> &'static str {
    if en {
        english
    } else {
        zh
    }
}

/// Each error at its field, in the reader's words.
fn placed(errors: &ValidationErrors, lang: Lang) -> HashMap<String, String> {
    errors
        .0
        .iter()
        .map(|e| (e.field.clone(), lang.message(&e.message)))
        .collect()
}

/// What a use case said, split into what the page shows at its fields and what ends it.
fn outcome<T>(result: Result<T, ServiceError>) -> Result<Result<T, Refusal>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(ServiceError::Validation(errors)) => Ok(Err(Refusal::Fields(errors))),
        Err(ServiceError::RateLimited { retry_after_secs }) => {
            Ok(Err(Refusal::Throttled(retry_after_secs)))
        }
        Err(ServiceError::Conflict(what)) => Ok(Err(Refusal::Conflict(what))),
        Err(other) => Err(other.into()),
    }
}

enum Refusal {
    Fields(ValidationErrors),
    Throttled(u64),
    Conflict(String),
}

fn throttled_text(lang: Lang, seconds: u64) -> String {
    lang.text("api.rate_limited", &[("seconds", seconds.to_string())])
}

#[derive(Template)]
#[template(path = "public/notice.html")]
struct NoticePage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    heading: String,
    good: bool,
    lines: Vec<String>,
    links: Vec<(String, String)>,
}

fn notice(
    lang: Lang,
    status: StatusCode,
    heading: &str,
    good: bool,
    lines: Vec<String>,
    links: Vec<(&str, &str)>,
) -> Result<HttpResponse, AppError> {
    html_with_status(
        status,
        NoticePage {
            lang_tag: lang.tag(),
            en: lang == Lang::En,
            frame: Frame::default(),
            heading: heading.to_string(),
            good,
            lines,
            links: links
                .into_iter()
                .map(|(h, l)| (h.to_string(), l.to_string()))
                .collect(),
        },
    )
}

/// A link that no longer works, and where to get a new one.
fn bad_link(
    lang: Lang,
    errors: &ValidationErrors,
    again: (&str, &str),
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let lines = errors
        .0
        .iter()
        .filter(|e| e.field == "token")
        .map(|e| lang.message(&e.message))
        .collect();
    notice(
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        pick(en, "链接不可用", "This link does not work"),
        false,
        lines,
        vec![again],
    )
}

// ---- Registration ----

#[derive(Template)]
#[template(path = "public/register.html")]
struct RegisterPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    error: Option<String>,
    fields: Vec<FieldLine>,
    language: String,
    language_error: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct RegisterForm {
    pub csrf: Option<String>,
    pub firm_code: Option<String>,
    pub firm_name: Option<String>,
    pub licence_no: Option<String>,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub language: Option<String>,
}

fn register_page(
    session: &Session,
    lang: Lang,
    form: &RegisterForm,
    errors: &HashMap<String, String>,
    error: Option<String>,
) -> RegisterPage {
    let en = lang == Lang::En;
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let line = |name: &'static str,
                label: &'static str,
                kind: &'static str,
                value: String,
                autocomplete: &'static str,
                hint: &'static str| FieldLine {
        name,
        label,
        kind,
        value,
        autocomplete,
        hint,
        error: errors.get(name).cloned().unwrap_or_default(),
    };
    RegisterPage {
        lang_tag: lang.tag(),
        en,
        frame: Frame::default(),
        csrf: session::csrf_token(session),
        error,
        fields: vec![
            line(
                "firm_code",
                pick(en, "统一社会信用代码", "Unified social credit code"),
                "text",
                value(&form.firm_code),
                "off",
                pick(
                    en,
                    "18 位，见营业执照",
                    "18 characters, on the business licence",
                ),
            ),
            line(
                "firm_name",
                pick(en, "企业名称", "Firm name"),
                "text",
                value(&form.firm_name),
                "organization",
                "",
            ),
            line(
                "licence_no",
                pick(
                    en,
                    "道路运输经营许可证号",
                    "Road transport operating licence no.",
                ),
                "text",
                value(&form.licence_no),
                "off",
                "",
            ),
            line(
                "contact_name",
                pick(en, "联系人", "Contact name"),
                "text",
                value(&form.contact_name),
                "name",
                "",
            ),
            line(
                "phone",
                pick(en, "联系电话", "Phone"),
                "tel",
                value(&form.phone),
                "tel",
                "",
            ),
            line(
                "email",
                pick(en, "电子邮箱（登录名）", "E-mail (to sign in with)"),
                "email",
                value(&form.email),
                "email",
                "",
            ),
            line(
                "password",
                pick(en, "密码", "Password"),
                "password",
                String::new(),
                "new-password",
                pick(
                    en,
                    "至少 12 位，不易猜测，例如几个不相关的词",
                    "12 characters or more, hard to guess: a few unrelated words work well",
                ),
            ),
        ],
        language: form
            .language
            .clone()
            .unwrap_or_else(|| lang.tag().to_string()),
        language_error: errors.get("language").cloned().unwrap_or_default(),
    }
}

#[get("/register")]
async fn register_form(session: Session, Locale(lang): Locale) -> Result<HttpResponse, AppError> {
    let page = register_page(
        &session,
        lang,
        &RegisterForm::default(),
        &HashMap::new(),
        None,
    );
    html_with_status(StatusCode::OK, page)
}

#[post("/register")]
async fn register(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    address: ClientAddress,
    form: Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let en = lang == Lang::En;
    if session::check_csrf(&session, form.csrf.as_deref()).is_err() {
        let page = register_page(
            &session,
            lang,
            &form,
            &HashMap::new(),
            Some(lang.text("page.form_expired", &[])),
        );
        return html_with_status(StatusCode::FORBIDDEN, page);
    }
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let new = NewRegistration {
        firm_code: value(&form.firm_code),
        firm_name: value(&form.firm_name),
        licence_no: value(&form.licence_no),
        contact_name: value(&form.contact_name),
        phone: value(&form.phone),
        email: value(&form.email),
        password: Secret::new(value(&form.password)),
        language: form
            .language
            .clone()
            .unwrap_or_else(|| lang.tag().to_string()),
    };
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let result = state
        .db(move |conn| Ok(service::register(conn, &engine, &new, &address.0, now)))
        .await?;
    match outcome(result)? {
        Ok(_) => notice(
            lang,
            StatusCode::OK,
            pick(en, "请查收邮件", "Check your e-mail"),
            true,
            vec![
                match en {
                    true => format!(
                        "We have sent a confirmation link to {}. Open it within 24 hours to confirm the address.",
                        value(&form.email).trim()
                    ),
                    false => format!(
                        "确认链接已发送至 {}，请在 24 小时内打开以确认邮箱。",
                        value(&form.email).trim()
                    ),
                },
                pick(
                    en,
                    "确认后，管理员将审核企业信息及大件运输资质，审核结果将以邮件通知。",
                    "Then an administrator checks the firm's details and its oversize-transport qualification, and e-mails you the decision.",
                )
                .to_string(),
            ],
            vec![("/login", pick(en, "返回登录", "Back to sign in"))],
        ),
        Err(Refusal::Fields(errors)) => {
            let page = register_page(
                &session,
                lang,
                &form,
                &placed(&errors, lang),
                Some(pick(en, "请更正标出的内容。", "Please correct the marked fields.").into()),
            );
            html_with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(Refusal::Throttled(seconds)) => {
            let page = register_page(&session, lang, &form, &HashMap::new(), Some(throttled_text(lang, seconds)));
            html_with_status(StatusCode::TOO_MANY_REQUESTS, page)
        }
        Err(Refusal::Conflict(_)) => Err(AppError::Internal),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

#[derive(Template)]
#[template(path = "public/confirm.html")]
struct ConfirmPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    token: String,
}

/// The e-mail's link shows a button: following a link (as mail scanners do) changes nothing.
#[get("/register/confirm")]
async fn confirm_form(
    session: Session,
    Locale(lang): Locale,
    query: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    html_with_status(
        StatusCode::OK,
        ConfirmPage {
            lang_tag: lang.tag(),
            en: lang == Lang::En,
            frame: Frame::default(),
            csrf: session::csrf_token(&session),
            token: query.into_inner().token.unwrap_or_default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub csrf: Option<String>,
    pub token: Option<String>,
    pub password: Option<String>,
    pub name: Option<String>,
}

#[post("/register/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let en = lang == Lang::En;
    session::check_csrf(&session, form.csrf.as_deref())?;
    let token = form.token.unwrap_or_default();
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let result = state
        .db(move |conn| Ok(service::confirm_registration(conn, &engine, &token, now)))
        .await?;
    match outcome(result)? {
        Ok(_) => notice(
            lang,
            StatusCode::OK,
            pick(en, "邮箱已确认", "E-mail confirmed"),
            true,
            vec![pick(
                en,
                "注册已提交管理员审核。审核通过后，您将收到邮件，即可使用注册时的邮箱和密码登录。",
                "The registration is with an administrator now. Once it is approved you receive an e-mail and can sign in with the address and password you registered.",
            )
            .into()],
            vec![("/login", pick(en, "返回登录", "Back to sign in"))],
        ),
        Err(Refusal::Fields(errors)) => bad_link(
            lang,
            &errors,
            ("/register", pick(en, "重新注册", "Register again")),
        ),
        Err(_) => Err(AppError::Internal),
    }
}

// ---- Password reset ----

#[derive(Template)]
#[template(path = "public/reset.html")]
struct ResetPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    error: Option<String>,
    fields: Vec<FieldLine>,
}

fn reset_page(
    session: &Session,
    lang: Lang,
    email: &str,
    errors: &HashMap<String, String>,
    error: Option<String>,
) -> ResetPage {
    let en = lang == Lang::En;
    ResetPage {
        lang_tag: lang.tag(),
        en,
        frame: Frame::default(),
        csrf: session::csrf_token(session),
        error,
        fields: vec![FieldLine {
            name: "email",
            label: pick(en, "电子邮箱", "E-mail"),
            kind: "email",
            value: email.to_string(),
            autocomplete: "username",
            hint: "",
            error: errors.get("email").cloned().unwrap_or_default(),
        }],
    }
}

#[get("/password-reset")]
async fn reset_form(session: Session, Locale(lang): Locale) -> Result<HttpResponse, AppError> {
    html_with_status(
        StatusCode::OK,
        reset_page(&session, lang, "", &HashMap::new(), None),
    )
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    pub csrf: Option<String>,
    pub email: Option<String>,
}

#[post("/password-reset")]
async fn reset(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    address: ClientAddress,
    form: Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let en = lang == Lang::En;
    let email = form.email.unwrap_or_default();
    if session::check_csrf(&session, form.csrf.as_deref()).is_err() {
        let page = reset_page(
            &session,
            lang,
            &email,
            &HashMap::new(),
            Some(lang.text("page.form_expired", &[])),
        );
        return html_with_status(StatusCode::FORBIDDEN, page);
    }
    let (now, engine, typed) = (state.clock.now(), state.engine.clone(), email.clone());
    let result = state
        .db(move |conn| {
            Ok(service::request_password_reset(
                conn, &engine, &typed, &address.0, now,
            ))
        })
        .await?;
    match outcome(result)? {
        Ok(()) => notice(
            lang,
            StatusCode::OK,
            pick(en, "请查收邮件", "Check your e-mail"),
            true,
            vec![match en {
                true => format!("If {} has an account, a link to choose a new password is on its way. It works once, within one hour.", email.trim()),
                false => format!("如果 {} 有账户，设置新密码的链接已发送至该邮箱。链接仅可使用一次，1 小时内有效。", email.trim()),
            }],
            vec![("/login", pick(en, "返回登录", "Back to sign in"))],
        ),
        Err(Refusal::Fields(errors)) => {
            let page = reset_page(&session, lang, &email, &placed(&errors, lang), None);
            html_with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(Refusal::Throttled(seconds)) => {
            let page = reset_page(&session, lang, &email, &HashMap::new(), Some(throttled_text(lang, seconds)));
            html_with_status(StatusCode::TOO_MANY_REQUESTS, page)
        }
        Err(Refusal::Conflict(_)) => Err(AppError::Internal),
    }
}

#[derive(Template)]
#[template(path = "public/password.html")]
struct PasswordPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    heading: &'static str,
    intro: &'static str,
    action: &'static str,
    button: &'static str,
    token: String,
    error: Option<String>,
    fields: Vec<FieldLine>,
}

/// The form that chooses a password by a link: a reset, or an invitation (which may also
/// correct the name the inviter typed).
fn password_page(
    session: &Session,
    lang: Lang,
    invitation: bool,
    token: String,
    name: &str,
    errors: &HashMap<String, String>,
) -> PasswordPage {
    let en = lang == Lang::En;
    let error_at = |field: &str| errors.get(field).cloned().unwrap_or_default();
    let mut fields = Vec::new();
    if invitation {
        fields.push(FieldLine {
            name: "name",
            label: pick(en, "您的姓名", "Your name"),
            kind: "text",
            value: name.to_string(),
            autocomplete: "name",
            hint: pick(
                en,
                "可留空，沿用邀请时填写的姓名",
                "Leave empty to keep the name you were invited with",
            ),
            error: error_at("name"),
        });
    }
    fields.push(FieldLine {
        name: "password",
        label: pick(en, "新密码", "New password"),
        kind: "password",
        value: String::new(),
        autocomplete: "new-password",
        hint: pick(
            en,
            "至少 12 位，不易猜测，例如几个不相关的词",
            "12 characters or more, hard to guess: a few unrelated words work well",
        ),
        error: error_at("password"),
    });
    let (heading, intro, action, button) = if invitation {
        (
            pick(en, "接受邀请", "Accept the invitation"),
            pick(
                en,
                "设置密码后即可使用电子邮箱和该密码登录。",
                "Choose a password; then sign in with your e-mail address and it.",
            ),
            "/invitation",
            pick(en, "设置密码", "Choose my password"),
        )
    } else {
        (
            pick(en, "设置新密码", "Choose a new password"),
            pick(
                en,
                "设置后，该账户在所有设备上的登录和 API 令牌都将失效。",
                "Once it is set, the account is signed out everywhere and its API tokens end.",
            ),
            "/password-reset/confirm",
            pick(en, "设置新密码", "Set the new password"),
        )
    };
    PasswordPage {
        lang_tag: lang.tag(),
        en,
        frame: Frame::default(),
        csrf: session::csrf_token(session),
        heading,
        intro,
        action,
        button,
        token,
        error: None,
        fields,
    }
}

/// The page a password link opens: the form, or straight away why the link does not work.
async fn password_link(
    state: &AppState,
    session: &Session,
    lang: Lang,
    invitation: bool,
    token: String,
) -> Result<HttpResponse, AppError> {
    let (now, t) = (state.clock.now(), token.clone());
    let purpose = if invitation { "invite" } else { "reset" };
    let result = state
        .db(move |conn| Ok(service::check_token(conn, &t, purpose, now)))
        .await?;
    match outcome(result)? {
        Ok(()) => html_with_status(
            StatusCode::OK,
            password_page(session, lang, invitation, token, "", &HashMap::new()),
        ),
        Err(Refusal::Fields(errors)) => bad_link(lang, &errors, again_link(lang, invitation)),
        Err(_) => Err(AppError::Internal),
    }
}

fn again_link(lang: Lang, invitation: bool) -> (&'static str, &'static str) {
    let en = lang == Lang::En;
    if invitation {
        (
            "/login",
            pick(
                en,
                "请联系企业账户负责人重新邀请；返回登录",
                "Ask your firm's account holder to invite you again; back to sign in",
            ),
        )
    } else {
        (
            "/password-reset",
            pick(en, "重新申请链接", "Ask for a new link"),
        )
    }
}

/// The password chosen by a link; the sign-in page then says so.
async fn password_chosen(
    state: &AppState,
    session: &Session,
    lang: Lang,
    invitation: bool,
    form: TokenForm,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(session, form.csrf.as_deref())?;
    let token = form.token.unwrap_or_default();
    let name = form.name.unwrap_or_default();
    let password = Secret::new(form.password.unwrap_or_default());
    let (now, t, n) = (state.clock.now(), token.clone(), name.clone());
    let result = state
        .db(move |conn| {
            Ok(if invitation {
                service::accept_invitation(conn, &t, &password, Some(&n), now)
            } else {
                service::confirm_password_reset(conn, &t, &password, now)
            })
        })
        .await?;
    match outcome(result)? {
        Ok(user) => {
            let done = if invitation { "invited" } else { "reset" };
            let query =
                serde_urlencoded::to_string([("done", done), ("email", user.email.as_str())])
                    .unwrap_or_default();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?{query}")))
                .finish())
        }
        Err(Refusal::Fields(errors)) if errors.has("token") => {
            bad_link(lang, &errors, again_link(lang, invitation))
        }
        Err(Refusal::Fields(errors)) => html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            password_page(
                session,
                lang,
                invitation,
                token,
                &name,
                &placed(&errors, lang),
            ),
        ),
        Err(_) => Err(AppError::Internal),
    }
}

#[get("/password-reset/confirm")]
async fn new_password_form(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token.unwrap_or_default();
    password_link(&state, &session, lang, false, token).await
}

#[post("/password-reset/confirm")]
async fn new_password(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    password_chosen(&state, &session, lang, false, form.into_inner()).await
}

#[get("/invitation")]
async fn invitation_form(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token.unwrap_or_default();
    password_link(&state, &session, lang, true, token).await
}

#[post("/invitation")]
async fn accept_invitation(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    password_chosen(&state, &session, lang, true, form.into_inner()).await
}

// ---- My account ----

pub struct ColleagueLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub own: bool,
    /// Has not chosen a password yet: switching on means inviting again.
    pub invited: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    email: String,
    name: String,
    language: String,
    firm: String,
    holder: bool,
    colleagues: Vec<ColleagueLine>,
    invite_name: String,
    invite_email: String,
    message: Option<(bool, String)>,
    errors: HashMap<String, String>,
}

impl AccountPage {
    fn e(&self, name: &str) -> &str {
        self.errors
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// What the account page shows besides the account.
#[derive(Default)]
struct Shown {
    message: Option<(bool, String)>,
    errors: HashMap<String, String>,
    typed_name: Option<String>,
    invite: (String, String),
}

fn state_label(state: ColleagueState, en: bool) -> &'static str {
    match state {
        ColleagueState::Active => pick(en, "启用", "active"),
        ColleagueState::Invited => pick(en, "已邀请，待设置密码", "invited, no password yet"),
        ColleagueState::InvitationExpired => pick(en, "邀请已过期", "invitation expired"),
        ColleagueState::SwitchedOff => pick(en, "已停用", "switched off"),
    }
}

async fn render_account(
    state: &AppState,
    session: &Session,
    current: &Caller,
    lang: Lang,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let (caller, now) = (current.clone(), state.clock.now());
    let (user, firm, colleagues) = state
        .db(move |conn| {
            let user = crate::service::users::find_user(conn, &caller.user.id)?
                .ok_or(ServiceError::NotFound)?;
            let firm = match &user.firm_id {
                Some(id) => crate::db::users::find_firm(conn, id)?
                    .map(|f| format!("{} · {}", f.name, f.credit_code))
                    .unwrap_or_default(),
                None => String::new(),
            };
            let colleagues = if user.firm_holder {
                service::colleagues(conn, &caller, now)?
            } else {
                Vec::new()
            };
            Ok((user, firm, colleagues))
        })
        .await?;
    let frame = Frame::for_user(Some(current), session, lang);
    let page = AccountPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        email: user.email.clone(),
        name: shown.typed_name.unwrap_or(user.name.clone()),
        language: user.language.clone(),
        firm,
        holder: user.firm_holder,
        colleagues: colleagues
            .into_iter()
            .map(|c| ColleagueLine {
                own: c.user.id == user.id,
                invited: c.user.password_hash.is_empty(),
                id: c.user.id,
                name: c.user.name,
                email: c.user.email,
                state: c.state.as_str(),
                state_label: state_label(c.state, en),
            })
            .collect(),
        invite_name: shown.invite.0,
        invite_email: shown.invite.1,
        message: shown.message,
        errors: shown.errors,
    };
    html_with_status(status, page)
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn done_text(done: &str, en: bool) -> Option<&'static str> {
    Some(match done {
        "updated" => pick(en, "已保存。", "Saved."),
        "password" => pick(
            en,
            "密码已修改，其他登录和令牌已失效。",
            "The password is changed; your other sessions and tokens have ended.",
        ),
        "invited" => pick(en, "邀请已发送。", "The invitation is on its way."),
        "activated" => pick(
            en,
            "该同事的账户已启用。",
            "The colleague's account is on again.",
        ),
        "deactivated" => pick(
            en,
            "该同事的账户已停用，其登录即时失效。",
            "The colleague's account is switched off; their sessions have ended.",
        ),
        _ => return None,
    })
}

#[get("/account")]
async fn account(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: Query<DoneQuery>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let shown = Shown {
        message: query
            .done
            .as_deref()
            .and_then(|d| done_text(d, en))
            .map(|t| (true, t.to_string())),
        ..Default::default()
    };
    render_account(&state, &session, &current, lang, StatusCode::OK, shown).await
}

fn back(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/account?done={done}")))
        .finish()
}

fn refused_here(errors: &ValidationErrors, lang: Lang, message: &'static str) -> Shown {
    Shown {
        message: Some((false, message.to_string())),
        errors: placed(errors, lang),
        ..Default::default()
    }
}

#[derive(Debug, Deserialize)]
pub struct AccountForm {
    pub csrf: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
}

#[post("/account")]
async fn update_account(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<AccountForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let (caller, now) = (current.clone(), state.clock.now());
    let (name, language) = (form.name.clone(), form.language.clone());
    let result = state
        .db(move |conn| {
            Ok(service::update_me(
                conn,
                &caller,
                name.as_deref(),
                language.as_deref(),
                now,
            ))
        })
        .await?;
    match outcome(result)? {
        Ok(user) => {
            // The pages follow the account's language from here on.
            let mut answer = back("updated");
            if let Some(lang) = Lang::from_tag(&user.language) {
                answer.add_cookie(&super::language_cookie(lang)).ok();
            }
            Ok(answer)
        }
        Err(Refusal::Fields(errors)) => {
            let en = lang == Lang::En;
            let message = pick(
                en,
                "未保存：请更正标出的内容。",
                "Not saved: please correct the marked field.",
            );
            let mut shown = refused_here(&errors, lang, message);
            shown.typed_name = form.name;
            render_account(
                &state,
                &session,
                &current,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
            )
            .await
        }
        Err(_) => Err(AppError::Internal),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordChangeForm {
    pub csrf: Option<String>,
    pub current_password: Option<String>,
    pub password: Option<String>,
}

#[post("/account/password")]
async fn change_password(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<PasswordChangeForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let old = Secret::new(form.current_password.unwrap_or_default());
    let new = Secret::new(form.password.unwrap_or_default());
    let (caller, now) = (current.clone(), state.clock.now());
    let result = state
        .db(move |conn| Ok(service::change_password(conn, &caller, &old, &new, now)))
        .await?;
    match outcome(result)? {
        Ok(user) => {
            // This session carries on under the new password; all others have ended.
            let hours = i64::from(state.settings.token_ttl_hours);
            session::sign_in(&session, &user, now.and_utc().timestamp() + hours * 3600)?;
            Ok(back("password"))
        }
        Err(Refusal::Fields(errors)) => {
            let en = lang == Lang::En;
            let message = pick(en, "密码未修改。", "The password is not changed.");
            let shown = refused_here(&errors, lang, message);
            render_account(
                &state,
                &session,
                &current,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
            )
            .await
        }
        Err(_) => Err(AppError::Internal),
    }
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    pub csrf: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[post("/account/colleagues")]
async fn invite(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: Form<InviteForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let en = lang == Lang::En;
    let email = form.email.unwrap_or_default();
    let name = form.name.unwrap_or_default();
    let (caller, now, engine) = (current.clone(), state.clock.now(), state.engine.clone());
    let (e, n) = (email.clone(), name.clone());
    let result = state
        .db(move |conn| Ok(service::invite(conn, &engine, &caller, &e, &n, now)))
        .await?;
    let shown = |message: String, errors: HashMap<String, String>| Shown {
        message: Some((false, message)),
        errors,
        typed_name: None,
        invite: (name.clone(), email.clone()),
    };
    let shown = match outcome(result)? {
        Ok(_) => return Ok(back("invited")),
        Err(Refusal::Fields(errors)) => {
            // The invitation's fields carry their own names on this page.
            let errors = placed(&errors, lang)
                .into_iter()
                .map(|(field, text)| (format!("invite_{field}"), text))
                .collect();
            shown(
                pick(
                    en,
                    "邀请未发送：请更正标出的内容。",
                    "Not invited: please correct the marked field.",
                )
                .into(),
                errors,
            )
        }
        Err(Refusal::Throttled(seconds)) => shown(throttled_text(lang, seconds), HashMap::new()),
        Err(Refusal::Conflict(what)) => shown(what, HashMap::new()),
    };
    render_account(
        &state,
        &session,
        &current,
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    pub csrf: Option<String>,
    pub active: Option<String>,
}

#[post("/account/colleagues/{id}/active")]
async fn colleague_active(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: Form<ActiveForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let active = form.active.as_deref() == Some("true");
    let (caller, now, id) = (current.clone(), state.clock.now(), path.into_inner());
    let result = state
        .db(move |conn| {
            Ok(service::set_colleague_active(
                conn, &caller, &id, active, now,
            ))
        })
        .await?;
    match outcome(result)? {
        Ok(_) => Ok(back(if active { "activated" } else { "deactivated" })),
        Err(Refusal::Conflict(_)) => {
            let en = lang == Lang::En;
            let what = pick(
                en,
                "该同事尚未接受邀请，无法启用：请重新发送邀请。",
                "This colleague has not accepted the invitation yet: send it again instead.",
            );
            let shown = Shown {
                message: Some((false, what.to_string())),
                ..Default::default()
            };
            render_account(
                &state,
                &session,
                &current,
                lang,
                StatusCode::CONFLICT,
                shown,
            )
            .await
        }
        Err(_) => Err(AppError::Internal),
    }
}
