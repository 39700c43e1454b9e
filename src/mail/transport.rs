//! How e-mail leaves: SMTP (`SMTP_URL`: smtp://, smtps://, `?tls=required` for STARTTLS,
//! user:password@ for AUTH; connections pooled), or `.eml` files under `{data_dir}/mail/`.

use crate::config::Secret;
use lettre::message::{header::HeaderName, header::HeaderValue, Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};
use std::path::Path;
use std::time::Duration;

pub enum Transport {
    Smtp(SmtpTransport),
    File(FileTransport),
}

/// The longest one SMTP exchange step may take. An outbox claim's lease must outlast a whole
/// send by far (see `outbox::LEASE`), so that no live worker's row is ever taken over.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a message did not go. `permanent` errors (SMTP 5xx) are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    /// No mail server answered at all (refused, reset, unreachable, timed out before a
    /// reply): an outage of the server, not a fault of this message.
    pub unreachable: bool,
    pub message: String,
}

/// One e-mail ready to send.
pub struct Outgoing<'a> {
    pub message_id: &'a str,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub event: &'a str,
    pub reference: &'a str,
    /// zh-CN or en.
    pub language: &'a str,
}

impl Transport {
    pub fn new(smtp_url: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Transport> {
        match smtp_url {
            Some(url) => {
                let transport = SmtpTransport::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir)?;
                Ok(Transport::File(FileTransport::new(dir)))
            }
        }
    }

    pub fn send(&self, from: &Mailbox, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let message = build(from, mail).map_err(|message| SendError {
            permanent: true,
            unreachable: false,
            message,
        })?;
        match self {
            Transport::Smtp(smtp) => smtp.send(&message).map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                unreachable: e.status().is_none()
                    && !e.is_response()
                    && !e.is_client()
                    && !e.is_tls(),
                message: e.to_string(),
            }),
            Transport::File(file) => file.send(&message).map(drop).map_err(|e| SendError {
                permanent: false,
                unreachable: false,
                message: e.to_string(),
            }),
        }
    }
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

fn build(from: &Mailbox, mail: &Outgoing<'_>) -> Result<Message, String> {
    let to = Mailbox::new(
        Some(mail.to_name.to_string()),
        mail.to_address
            .parse()
            .map_err(|e| format!("recipient {}: {e}", mail.to_address))?,
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(Some(mail.message_id.to_string()))
        .raw_header(header("X-Permitflow-Event", mail.event))
        .raw_header(header("X-Permitflow-Reference", mail.reference))
        .raw_header(header("Content-Language", mail.language))
        .multipart(MultiPart::alternative_plain_html(
            mail.text.to_string(),
            mail.html.to_string(),
        ))
        .map_err(|e| e.to_string())
}
