//! Uploaded files: stored by content hash under the data folder, recorded with the application.

use super::rows::Loaded;
use super::{audit, load_own, rows, view};
use crate::db::applications::AttachmentRow;
use crate::db::{applications as q, new_id, write_transaction, DbConnection};
use crate::domain::application::ApplicationInput;
use crate::domain::ids::ApplicationId;
use crate::domain::rules::AttachmentKind;
use crate::domain::workflow::AppStatus;
use crate::domain::{attachment, FieldError, Message};
use crate::service::{Caller, Engine, ServiceError};
use chrono::NaiveDateTime;

/// A file as uploaded: the kind the applicant chose, the name it had, its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub kind: &'a str,
    /// The project load a contour drawing is for (a project's loads' keys); none otherwise.
    pub load: Option<&'a str>,
    pub filename: &'a str,
    pub bytes: &'a [u8],
}

/// Stores an uploaded file (by content hash, under the data folder) and records it. The file
/// is written before the transaction, once the caller may add to the application: the
/// transaction then holds only database work, and a file whose row never commits is an
/// orphan to sweep (content-addressed, so writing it again is harmless), never a
/// half-written record.
pub fn add_attachment(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    upload: Upload<'_>,
    now: NaiveDateTime,
) -> Result<view::Attachment, ServiceError> {
    let id = id.as_str();
    let Upload {
        kind,
        load,
        filename,
        bytes,
    } = upload;
    let load = load.map(str::trim).filter(|l| !l.is_empty());
    let kind: AttachmentKind = kind.parse().map_err(|_| {
        ServiceError::from(FieldError::new(
            "kind",
            Message::new("error.attachment_kind"),
        ))
    })?;
    let content_type = attachment::sniff(bytes).ok_or_else(|| {
        ServiceError::from(FieldError::new(
            "file",
            Message::new("error.attachment_type"),
        ))
    })?;
    if bytes.len() > attachment::MAX_ATTACHMENT_BYTES {
        return Err(FieldError::new("file", Message::new("error.attachment_too_large")).into());
    }
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    let current = load_own(conn, engine, caller, id)?;
    open_for_files(&current)?;
    check_load(&current, load)?;
    store_file(engine, &sha256, bytes)?;
    write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        open_for_files(&before)?;
        let row = AttachmentRow {
            id: new_id(),
            application_id: id.to_string(),
            kind: kind.as_str().to_string(),
            filename: attachment::clean_filename(filename),
            content_type: content_type.to_string(),
            size: bytes.len() as i64,
            sha256: sha256.clone(),
            uploaded_by: caller.user.id.clone(),
            uploaded_at: now,
            load_key: load.map(str::to_string),
        };
        q::insert_attachment(conn, &row)?;
        let next = rows::next_row(&before.row, &before.case, now);
        let detail = serde_json::json!({
            "attachment_id": row.id,
            "kind": row.kind,
            "filename": row.filename,
            "sha256": row.sha256,
            "load": row.load_key,
        });
        rows::store(
            conn,
            &before,
            &next,
            &before.case,
            &[audit(now, "attachment_added", caller, detail)],
        )?;
        Ok(view::Attachment::from(row))
    })
}

/// A file for a load names one of the project's loads; a single application has none.
fn check_load(loaded: &Loaded, load: Option<&str>) -> Result<(), ServiceError> {
    let Some(load) = load else {
        return Ok(());
    };
    let input: ApplicationInput = crate::service::stored("application input", &loaded.row.input)?;
    let known = input
        .loads
        .iter()
        .flatten()
        .any(|l| l.key.as_deref().map(str::trim) == Some(load));
    if known {
        Ok(())
    } else {
        Err(FieldError::new(
            "load",
            Message::new("error.unknown_load").with("value", load),
        )
        .into())
    }
}

/// Files are added to a draft, or while information is asked for.
fn open_for_files(loaded: &Loaded) -> Result<(), ServiceError> {
    if matches!(
        loaded.case.status,
        AppStatus::Draft | AppStatus::InfoRequested
    ) {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!(
            "the application is {}",
            loaded.case.status
        )))
    }
}

/// Writes the file under its hash (through a temporary name, so it is whole or absent).
fn store_file(engine: &Engine, sha256: &str, bytes: &[u8]) -> Result<(), ServiceError> {
    let dir = engine.data_dir.join("attachments").join(&sha256[..2]);
    std::fs::create_dir_all(&dir).map_err(|e| ServiceError::Internal(e.into()))?;
    let path = dir.join(sha256);
    if !path.exists() {
        let tmp = dir.join(format!("{sha256}.{}", new_id()));
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| ServiceError::Internal(e.into()))?;
    }
    Ok(())
}

/// An attachment's record and bytes, if the caller may see its application.
pub fn attachment_file(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    attachment_id: &str,
) -> Result<(AttachmentRow, Vec<u8>), ServiceError> {
    let id = id.as_str();
    super::ensure_visible(conn, caller, id)?;
    let file = q::attachments_of(conn, id)?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(ServiceError::NotFound)?;
    let path = engine
        .data_dir
        .join("attachments")
        .join(&file.sha256[..2])
        .join(&file.sha256);
    let bytes = std::fs::read(path).map_err(|e| ServiceError::Internal(e.into()))?;
    Ok((file, bytes))
}
