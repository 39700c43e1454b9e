//! Who a bearer token or a web session belongs to, remembered for a moment, so that a request
//! does not spend a trip through the blocking pool and the database on it before its own
//! work. An entry is used only while it is younger than `REMEMBER_FOR`, the token has not
//! expired, and no account has changed in this instance since it was read
//! (`db::users::accounts_generation`): a user switched off, a new password or ended tokens
//! take effect here at once, and in the other instances of a deployment within
//! `REMEMBER_FOR`.

use crate::db::users::{accounts_generation, UserRow};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a sign-in read from the database is used without reading it again.
pub const REMEMBER_FOR: Duration = Duration::from_secs(2);

/// Entries kept at most; beyond it the old ones go (callers far apart in time are not
/// worth remembering).
const MOST: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// The SHA-256 of a bearer token, as stored (the token itself is not kept).
    Token(String),
    /// A web session's user id.
    User(String),
}

struct Entry {
    user: UserRow,
    /// The token's expiry (sessions carry their own).
    expires: Option<NaiveDateTime>,
    read_at: Instant,
    generation: u64,
}

#[derive(Default)]
pub struct SignIns {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl SignIns {
    /// The user remembered under `key`, if the entry may still be used at `now`.
    pub fn get(&self, key: &Key, now: NaiveDateTime) -> Option<UserRow> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        let fresh = entry.read_at.elapsed() < REMEMBER_FOR
            && entry.generation == accounts_generation()
            && entry.expires.is_none_or(|expires| expires > now);
        fresh.then(|| entry.user.clone())
    }

    /// Remembers what the database said under `key`; `generation` is
    /// `accounts_generation()` taken before it was asked.
    pub fn put(&self, key: Key, user: UserRow, expires: Option<NaiveDateTime>, generation: u64) {
        if generation != accounts_generation() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MOST && !entries.contains_key(&key) {
            entries.retain(|_, e| e.read_at.elapsed() < REMEMBER_FOR);
            if entries.len() >= MOST {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                user,
                expires,
                read_at: Instant::now(),
                generation,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserRow {
        UserRow {
            id: "u1".into(),
            email: "a@example.org".into(),
            name: "A".into(),
            role: "applicant".into(),
            password_hash: String::new(),
            firm_id: Some("f1".into()),
            authority_code: None,
            scope_jurisdiction: None,
            language: "en".into(),
            active: true,
            created_at: NaiveDateTime::default(),
            firm_holder: false,
        }
    }

    #[test]
    fn an_entry_is_used_until_it_expires() {
        let cache = SignIns::default();
        let now = chrono::Utc::now().naive_utc();
        let key = Key::Token("h".into());
        let expires = Some(now + chrono::TimeDelta::minutes(1));
        // Other tests change accounts meanwhile (the generation is the process's): an entry
        // is kept as soon as nothing moved between reading it and asking for it.
        let found = (0..1000).find_map(|_| {
            cache.put(key.clone(), user(), expires, accounts_generation());
            cache.get(&key, now)
        });
        assert_eq!(found.map(|u| u.id).as_deref(), Some("u1"));
        assert_eq!(
            cache.get(&key, now + chrono::TimeDelta::minutes(2)),
            None,
            "an expired token is not remembered"
        );
        assert_eq!(cache.get(&Key::User("u1".into()), now), None);
    }

    #[test]
    fn an_entry_read_before_a_change_is_not_kept_nor_used() {
        let cache = SignIns::default();
        let now = chrono::Utc::now().naive_utc();
        let before = accounts_generation();
        crate::db::users::accounts_changed();
        cache.put(Key::User("u1".into()), user(), None, before);
        assert_eq!(cache.get(&Key::User("u1".into()), now), None);
        let found = (0..1000).find_map(|_| {
            cache.put(Key::User("u1".into()), user(), None, accounts_generation());
            cache.get(&Key::User("u1".into()), now)
        });
        assert!(found.is_some());
        crate::db::users::accounts_changed();
        assert_eq!(cache.get(&Key::User("u1".into()), now), None);
    }
}
