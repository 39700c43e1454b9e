//! The workflow definitions in force: read from `{data_dir}/workflows/*.toml` (or the shipped
//! copies), checked against the authority kinds of the reference data, and recorded in the
//! database by name and version, so that an application submitted under a version keeps it
//! even after the file moves on. Changing a file without a new version is refused at start.

use super::reference::read_folder_or_shipped;
use crate::db::schema::{authorities, workflow_definitions};
use crate::db::{write_transaction, DbConnection};
use crate::domain::jurisdiction::Level;
use crate::domain::workflow::definition::SHIPPED_DEFINITIONS;
use crate::domain::workflow::WorkflowDefinition;
use anyhow::{bail, Context};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Workflows {
    by_key: BTreeMap<(String, i32), WorkflowDefinition>,
}

impl Workflows {
    /// Loads the files, records new versions, and reads back every version ever recorded.
    pub fn load(
        conn: &mut DbConnection,
        data_dir: &Path,
        now: NaiveDateTime,
    ) -> anyhow::Result<Workflows> {
        let texts = read_folder_or_shipped(&data_dir.join("workflows"), &SHIPPED_DEFINITIONS)?;
        let kinds: Vec<(String, String)> = authorities::table
            .select((authorities::level, authorities::kind))
            .distinct()
            .load(conn)?;
        let kinds: Vec<(Level, String)> = kinds
            .into_iter()
            .filter_map(|(level, kind)| Some((level.parse().ok()?, kind)))
            .collect();
        let mut files = Vec::new();
        for text in texts {
            let def = WorkflowDefinition::from_toml(&text, &kinds).map_err(anyhow::Error::msg)?;
            files.push((def, text));
        }
        write_transaction(conn, |conn| -> anyhow::Result<()> {
            for (def, text) in &files {
                let stored: Option<String> = workflow_definitions::table
                    .find((&def.name, def.version))
                    .select(workflow_definitions::body)
                    .get_result(conn)
                    .optional()?;
                match stored {
                    None => {
                        diesel::insert_into(workflow_definitions::table)
                            .values((
                                workflow_definitions::name.eq(&def.name),
                                workflow_definitions::version.eq(def.version),
                                workflow_definitions::body.eq(text),
                                workflow_definitions::created_at.eq(now),
                            ))
                            .execute(conn)?;
                    }
                    Some(body) if body != *text => {
                        bail!(
                            "workflow {} version {} differs from the one recorded: running applications use the recorded one, so give the change a new version",
                            def.name,
                            def.version
                        );
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })?;
        let rows: Vec<(String, i32, String)> = workflow_definitions::table
            .select((
                workflow_definitions::name,
                workflow_definitions::version,
                workflow_definitions::body,
            ))
            .load(conn)?;
        let mut by_key = BTreeMap::new();
        for (name, version, body) in rows {
            // Recorded versions were checked when recorded; parse without the kind check so
            // that an old version stays usable if reference data changes later.
            let def: WorkflowDefinition =
                toml::from_str(&body).with_context(|| format!("workflow {name} v{version}"))?;
            by_key.insert((name, version), def);
        }
        Ok(Workflows { by_key })
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn get(&self, name: &str, version: i32) -> Option<&WorkflowDefinition> {
        self.by_key.get(&(name.to_string(), version))
    }

    /// The newest version of `name`, for new submissions.
    pub fn latest(&self, name: &str) -> Option<&WorkflowDefinition> {
        self.by_key
            .iter()
            .rev()
            .find(|((n, _), _)| n == name)
            .map(|(_, def)| def)
    }
}
