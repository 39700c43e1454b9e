//! The permit world as pure code: value types that can only hold valid data, the rules of
//! SPEC §2 (does a load need a permit, its class, what cannot be accepted or granted), the
//! jurisdiction tree that decides who issues, and the working-day calendar.
//! Nothing here touches a database, the network or the clock.

/// An enum stored and shown as text: `as_str`, `FromStr`, `Display` and serde in snake case.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        $(#[$meta])* pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order declared.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok($name::$variant),)+ other => Err(format!("unknown {} {other:?}", stringify!($name))) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

pub mod amendment;
pub mod application;
pub mod attachment;
pub mod calendar;
pub mod error;
pub mod hours;
pub mod ids;
pub mod jurisdiction;
pub mod paging;
pub mod permit;
pub mod project;
pub mod role;
pub mod rules;
pub mod timebook;
pub mod values;

pub use error::{FieldError, Message, ValidationErrors};
pub mod workflow;
