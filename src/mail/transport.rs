//! How e-mail leaves: SMTP (`SMTP_URL`: smtp://, smtps://, `?tls=required` or
//! `?tls=opportunistic` for STARTTLS, user:password@ for AUTH, a path for the EHLO name;
//! connections kept open and reused), or `.eml` files under `{data_dir}/mail/`.
//!
//! Plain SMTP and STARTTLS go over connections of our own with `TCP_NODELAY`: an SMTP client
//! writes a message's end marker as a small packet right after its body, and with Nagle's
//! algorithm on, that packet waits for the server's delayed acknowledgement (40 ms on Linux)
//! — one connection would carry only ~23 messages a second. lettre's own transports cannot
//! set the option, so the connection is opened here and handed to lettre's SMTP client
//! (`AsyncSmtpConnection`), which speaks the protocol. Implicit TLS (smtps://) stays on
//! lettre's pooled transport: the TLS handshake has to come before lettre's client reads the
//! greeting, which its API does not allow on a stream of ours.

use crate::config::Secret;
use lettre::message::{header::HeaderName, header::HeaderValue, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub enum Transport {
    /// Plain SMTP or STARTTLS, over connections with `TCP_NODELAY`.
    Smtp(Box<Smtp>),
    /// Implicit TLS, through lettre's pooled transport.
    Smtps(SmtpTransport),
    File(FileTransport),
}

/// The longest one SMTP exchange step may take. An outbox claim's lease must outlast a whole
/// send by far (see `outbox::LEASE`), so that no live worker's row is ever taken over.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Open connections kept for the next messages, and how long one may sit unused (servers
/// close idle ones after a minute or more).
const IDLE_CONNECTIONS: usize = 16;
const IDLE_FOR: Duration = Duration::from_secs(30);

/// Why a message did not go. `permanent` errors (SMTP 5xx) are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    /// No mail server answered at all (refused, reset, unreachable, timed out before a
    /// reply): an outage of the server, not a fault of this message.
    pub unreachable: bool,
    pub message: String,
}

impl SendError {
    fn unreachable(message: String) -> SendError {
        SendError {
            permanent: false,
            unreachable: true,
            message,
        }
    }
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> SendError {
        SendError {
            permanent: e.is_permanent(),
            unreachable: e.status().is_none() && !e.is_response() && !e.is_client() && !e.is_tls(),
            message: e.to_string(),
        }
    }
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

/// Where plain or STARTTLS SMTP goes, and the connections open to it.
pub struct Smtp {
    host: String,
    port: u16,
    /// STARTTLS, and whether a server without it is refused (`tls=required`) or used in
    /// plain text (`tls=opportunistic`).
    starttls: Option<(TlsParameters, bool)>,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

/// The runtime that drives SMTP connections: one thread, made once and never dropped (the
/// delivery threads block on it; dropping a runtime inside actix's would panic).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("smtp")
            .enable_all()
            .build()
            .expect("the SMTP runtime starts")
    })
}

async fn within<T>(
    what: &str,
    work: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, SendError> {
    match tokio::time::timeout(SMTP_TIMEOUT, work).await {
        Ok(result) => result.map_err(SendError::from),
        Err(_) => Err(SendError::unreachable(format!(
            "the mail server did not answer {what} within {} s",
            SMTP_TIMEOUT.as_secs()
        ))),
    }
}

impl Smtp {
    /// Plain `smtp://` or STARTTLS from `url`; `None` for `smtps://` (lettre's transport).
    fn from_url(url: &str) -> anyhow::Result<Option<Smtp>> {
        let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("SMTP_URL: no host"))?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let starttls = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", _) => return Ok(None),
            ("smtp", None) => None,
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => Some((
                TlsParameters::new(host.clone()).map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?,
                mode == "required",
            )),
            (scheme, tls) => anyhow::bail!(
                "SMTP_URL: unknown scheme {scheme:?} or tls={tls:?} (smtp://, smtps://, \
                 smtp://…?tls=required or ?tls=opportunistic)"
            ),
        };
        let port = parsed.port().unwrap_or(match starttls {
            None => 25,
            Some(_) => 587,
        });
        let decode = |s: &str| -> anyhow::Result<String> {
            Ok(percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                .into_owned())
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(Some(Smtp {
            host,
            port,
            starttls,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
        }))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = match tokio::time::timeout(
            SMTP_TIMEOUT,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(SendError::unreachable(format!(
                    "connecting to {}:{}: {e}",
                    self.host, self.port
                )))
            }
            Err(_) => {
                return Err(SendError::unreachable(format!(
                    "connecting to {}:{}: timed out",
                    self.host, self.port
                )))
            }
        };
        tcp.set_nodelay(true)
            .map_err(|e| SendError::unreachable(format!("TCP_NODELAY: {e}")))?;
        let mut conn = within(
            "the greeting",
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello),
        )
        .await?;
        if let Some((tls, required)) = &self.starttls {
            if conn.can_starttls() {
                within("STARTTLS", conn.starttls(tls.clone(), &self.hello)).await?;
            } else if *required {
                conn.abort().await;
                return Err(SendError {
                    permanent: false,
                    unreachable: false,
                    message: "the mail server does not offer STARTTLS (tls=required)".into(),
                });
            }
        }
        if let Some(credentials) = &self.credentials {
            within("AUTH", conn.auth(DEFAULT_MECHANISMS, credentials)).await?;
        }
        Ok(conn)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_FOR {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push((conn, Instant::now()));
        }
    }

    /// Sends over an open connection, or a new one. A kept connection the server closed
    /// meanwhile fails before the message is accepted; the message then goes over the next.
    fn send(&self, message: &Message) -> Result<(), SendError> {
        let envelope = message.envelope();
        let bytes = message.formatted();
        runtime().block_on(async {
            loop {
                let (mut conn, kept) = match self.take_idle() {
                    Some(conn) => (conn, true),
                    None => (self.connect().await?, false),
                };
                match within("the message", conn.send(envelope, &bytes)).await {
                    Ok(_) => {
                        self.put_back(conn);
                        return Ok(());
                    }
                    Err(error) => {
                        if !conn.has_broken() {
                            conn.abort().await;
                        }
                        if !(kept && error.unreachable) {
                            return Err(error);
                        }
                    }
                }
            }
        })
    }
}

impl Transport {
    pub fn new(smtp_url: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Transport> {
        match smtp_url {
            Some(url) => match Smtp::from_url(url.expose())? {
                Some(smtp) => Ok(Transport::Smtp(Box::new(smtp))),
                None => {
                    let transport = SmtpTransport::from_url(url.expose())
                        .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                        .timeout(Some(SMTP_TIMEOUT))
                        .build();
                    Ok(Transport::Smtps(transport))
                }
            },
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
            Transport::Smtp(smtp) => smtp.send(&message),
            Transport::Smtps(smtp) => smtp.send(&message).map(drop).map_err(SendError::from),
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

#[cfg(test)]
mod tests {
    use super::Smtp;

    #[test]
    fn the_url_picks_the_connection() {
        let plain = Smtp::from_url("smtp://127.0.0.1:2525").unwrap().unwrap();
        assert_eq!((plain.host.as_str(), plain.port), ("127.0.0.1", 2525));
        assert!(plain.starttls.is_none() && plain.credentials.is_none());
        let tls =
            Smtp::from_url("smtp://us%40er:p%2Fss@mail.example.org/relay.example.org?tls=required")
                .unwrap()
                .unwrap();
        assert_eq!(tls.port, 587);
        assert!(matches!(tls.starttls, Some((_, true))));
        assert!(tls.credentials.is_some());
        assert_eq!(tls.hello.to_string(), "relay.example.org");
        let maybe = Smtp::from_url("smtp://mail.example.org?tls=opportunistic")
            .unwrap()
            .unwrap();
        assert!(matches!(maybe.starttls, Some((_, false))));
        assert!(Smtp::from_url("smtps://mail.example.org")
            .unwrap()
            .is_none());
        assert!(Smtp::from_url("smtp://mail.example.org?tls=sometimes").is_err());
        assert!(Smtp::from_url("http://mail.example.org").is_err());
    }
}
