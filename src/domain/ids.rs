//! The identities the use cases are called with, as types, so that an application's id, a
//! task's and a permit's number cannot be passed for one another.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                $name(value.clone())
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_string())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An application's id (a UUID).
    ApplicationId
);
id_type!(
    /// A review task's id (a UUID).
    TaskId
);
id_type!(
    /// A permit's number, e.g. 新超限 2026-000123.
    PermitNo
);
