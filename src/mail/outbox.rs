//! Delivery of the outbox: claim due rows in batches, send, record the outcomes; transient
//! failures come back later with exponential back-off and jitter, permanent ones (5xx) and
//! those out of attempts are marked failed for an operator to see and retry.

use super::templates::{render, EmailContext, EmailKind};
use super::transport::{Outgoing, Transport};
use crate::db::outbox::{self as q, OutboxRow};
use crate::db::{new_id, DbConnection, Pool};
use crate::i18n::Lang;
use chrono::{NaiveDateTime, TimeDelta};
use lettre::message::Mailbox;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// An e-mail to enqueue.
pub struct NewEmail {
    pub kind: EmailKind,
    /// The audit event it tells about: with the recipient, it makes the Message-ID.
    pub event_id: String,
    pub reference: String,
    pub application_id: Option<String>,
    pub recipient: String,
    pub context: EmailContext,
}

/// Why an e-mail could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("rendering the e-mail: {0}")]
    Render(#[from] askama::Error),
    #[error("writing the outbox: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Renders and writes one e-mail into the outbox, in the caller's transaction.
pub fn enqueue(
    conn: &mut DbConnection,
    email: &NewEmail,
    mail_domain: &str,
    now: NaiveDateTime,
) -> Result<(), EnqueueError> {
    let rendered = render(email.kind, &email.context)?;
    let recipient_hash = hex::encode(&Sha256::digest(email.recipient.as_bytes())[..6]);
    let row = OutboxRow {
        id: new_id(),
        message_id: format!(
            "<{}.{}.{}@{}>",
            email.event_id, email.kind, recipient_hash, mail_domain
        ),
        event_kind: email.kind.as_str().to_string(),
        reference: email.reference.clone(),
        application_id: email.application_id.clone(),
        recipient: email.recipient.clone(),
        recipient_name: email.context.name.clone(),
        language: if email.context.en { Lang::En } else { Lang::Zh }
            .tag()
            .to_string(),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        status: "queued".into(),
        attempts: 0,
        next_attempt_at: now,
        claimed_by: None,
        claimed_until: None,
        last_error: None,
        created_at: now,
        sent_at: None,
    };
    q::insert(conn, &row)?;
    Ok(())
}

/// How long a claim holds: a worker that died mid-send has its rows retaken within about a
/// minute, while a live one finishes each send (at most a few `SMTP_TIMEOUT`s: connect,
/// greeting, each command) well inside it.
pub const LEASE: TimeDelta = TimeDelta::seconds(60);

/// While no mail server answers, the next probe comes this soon: once it answers again the
/// waiting e-mails go within about this long, whatever their back-off would have been.
pub const OUTAGE_RETRY: TimeDelta = TimeDelta::seconds(15);

/// How a worker delivers.
pub struct Delivery {
    pub transport: Transport,
    pub from: Mailbox,
    /// Attempts before a row is marked failed.
    pub max_attempts: i32,
    /// How long a claim holds before another worker may take the row over.
    pub lease: TimeDelta,
    /// This worker's name in `claimed_by`.
    pub worker: String,
    /// E-mails sent at once. Each SMTP exchange waits on the server's replies (and lettre's
    /// final write on a delayed ACK), so parallel connections multiply throughput.
    pub concurrency: usize,
    /// Set when the mail server did not answer: this instance does not try again before it.
    pub paused_until: Mutex<Option<NaiveDateTime>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    pub failed: usize,
    pub retried: usize,
}

/// Wait before attempt `attempts + 1`: 30 s doubling to at most an hour, ±20 % so that a
/// burst of failures does not retry in lockstep.
pub fn backoff(attempts: i32) -> TimeDelta {
    let base = 30_f64 * 2_f64.powi((attempts - 1).clamp(0, 20));
    let capped = base.min(3600.0);
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    TimeDelta::milliseconds((capped * jitter * 1000.0) as i64)
}

/// Rows one delivery thread claims at once, and records at once when they are sent: two
/// write transactions for a batch instead of two per e-mail. A worker that dies mid-batch
/// has sent at most this many that go once more (with the same Message-ID) after the lease.
pub const BATCH: usize = 16;

/// Delivers every row due at `now`, at most `limit`, `delivery.concurrency` threads at a time,
/// each claiming `BATCH` rows in one statement, sending them over its connection and
/// recording them in one transaction. When the mail server does not answer at all the batch
/// stops and this instance pauses: the rows wait, with their attempts unspent, for the next
/// probe `OUTAGE_RETRY` later, and all go as soon as one gets through.
pub fn deliver_due(
    pool: &Pool,
    delivery: &Delivery,
    now: NaiveDateTime,
    limit: i64,
) -> anyhow::Result<Report> {
    let paused = *delivery
        .paused_until
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if paused.is_some_and(|until| now < until) {
        return Ok(Report::default());
    }
    let ids = q::due_ids(&mut *pool.get()?, now, limit)?;
    let next = AtomicUsize::new(0);
    let halted = AtomicBool::new(false);
    let started = Instant::now();
    let report = Mutex::new(Report::default());
    let threads = delivery
        .concurrency
        .clamp(1, ids.len().div_ceil(BATCH).max(1));
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    while !halted.load(Ordering::Relaxed) {
                        let from = next.fetch_add(BATCH, Ordering::Relaxed);
                        let Some(batch) = ids.get(from..(from + BATCH).min(ids.len())) else {
                            break;
                        };
                        if batch.is_empty() {
                            break;
                        }
                        // A long run claims its later rows later: each lease runs from its
                        // own claim.
                        let at = now
                            + TimeDelta::from_std(started.elapsed()).unwrap_or(TimeDelta::zero());
                        let done = deliver_batch(pool, delivery, batch, at, now + OUTAGE_RETRY)?;
                        let mut r = report.lock().unwrap_or_else(|p| p.into_inner());
                        r.sent += done.sent;
                        r.retried += done.retried;
                        r.failed += done.failed;
                        if done.unreachable {
                            halted.store(true, Ordering::Relaxed);
                            *delivery
                                .paused_until
                                .lock()
                                .unwrap_or_else(|p| p.into_inner()) = Some(now + OUTAGE_RETRY);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a delivery thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(report.into_inner().unwrap_or_else(|p| p.into_inner()))
}

#[derive(Default)]
struct BatchOutcome {
    sent: usize,
    retried: usize,
    failed: usize,
    unreachable: bool,
}

/// What becomes of one claimed row, recorded with the rest of its batch.
enum Record {
    Sent,
    /// Back to the queue at the time given, the attempt given back (the server did not
    /// answer, or the batch ran out of time before this row's turn).
    Waiting(String, NaiveDateTime),
    /// Another attempt later, or failed (`None`).
    Unsent(String, Option<NaiveDateTime>),
}

/// Claims a batch, sends it and records every outcome in one transaction. A database
/// connection is held only to claim and to record, never while talking to the mail server,
/// so delivery does not starve the web side.
fn deliver_batch(
    pool: &Pool,
    delivery: &Delivery,
    ids: &[String],
    now: NaiveDateTime,
    probe_at: NaiveDateTime,
) -> anyhow::Result<BatchOutcome> {
    let rows = q::claim(
        &mut *pool.get()?,
        ids,
        &delivery.worker,
        now,
        now + delivery.lease,
    )?;
    let claimed = Instant::now();
    // Rows not sent by then go back unspent: the claim must be recorded well inside its lease.
    let budget = (delivery.lease / 2).to_std().unwrap_or_default();
    let mut outcome = BatchOutcome::default();
    let mut records = Vec::with_capacity(rows.len());
    for row in &rows {
        if outcome.unreachable || claimed.elapsed() > budget {
            let why = if outcome.unreachable {
                "the mail server did not answer"
            } else {
                "not reached in its batch"
            };
            records.push(Record::Waiting(
                why.into(),
                if outcome.unreachable { probe_at } else { now },
            ));
            continue;
        }
        let outgoing = Outgoing {
            message_id: &row.message_id,
            to_address: &row.recipient,
            to_name: &row.recipient_name,
            subject: &row.subject,
            text: &row.body_text,
            html: &row.body_html,
            event: &row.event_kind,
            reference: &row.reference,
            language: &row.language,
        };
        match delivery.transport.send(&delivery.from, &outgoing) {
            Ok(()) => {
                records.push(Record::Sent);
                outcome.sent += 1;
            }
            Err(error) if error.unreachable => {
                tracing::warn!(error = %error.message, "mail server unreachable; e-mails wait");
                records.push(Record::Waiting(error.message, probe_at));
                outcome.retried += 1;
                outcome.unreachable = true;
            }
            Err(error) => {
                let give_up = error.permanent || row.attempts >= delivery.max_attempts;
                tracing::warn!(
                    message_id = %row.message_id,
                    attempts = row.attempts,
                    permanent = error.permanent,
                    error = %error.message,
                    "e-mail not delivered"
                );
                records.push(Record::Unsent(
                    error.message,
                    (!give_up).then(|| now + backoff(row.attempts)),
                ));
                if give_up {
                    outcome.failed += 1;
                } else {
                    outcome.retried += 1;
                }
            }
        }
    }
    let sent_at = now + TimeDelta::from_std(claimed.elapsed()).unwrap_or(TimeDelta::zero());
    let worker = delivery.worker.as_str();
    crate::db::write_transaction(&mut *pool.get()?, |conn| -> diesel::QueryResult<()> {
        let sent: Vec<String> = rows
            .iter()
            .zip(&records)
            .filter(|(_, r)| matches!(r, Record::Sent))
            .map(|(row, _)| row.id.clone())
            .collect();
        q::mark_all_sent(conn, &sent, worker, sent_at)?;
        for (row, record) in rows.iter().zip(&records) {
            match record {
                Record::Sent => {}
                Record::Waiting(error, at) => q::mark_waiting(conn, &row.id, worker, error, *at)?,
                Record::Unsent(error, next) => q::mark_unsent(conn, &row.id, worker, error, *next)?,
            }
        }
        Ok(())
    })?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        for attempt in 1..=12 {
            let expected = (30.0 * 2f64.powi(attempt - 1)).min(3600.0);
            let got = backoff(attempt).num_milliseconds() as f64 / 1000.0;
            assert!(
                got >= expected * 0.8 - 0.001 && got <= expected * 1.2 + 0.001,
                "attempt {attempt}: {got}"
            );
        }
    }
}
