//! E-mail: templates, the outbox written in the same transaction as each state change, and
//! delivery over SMTP (or into `.eml` files) by a worker that claims rows one by one.

pub mod outbox;
pub mod templates;
pub mod transport;
