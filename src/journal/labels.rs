//! What the user says about a call: the company, the number or address it was made to, a note,
//! and which rights letters were made for it and when.
//!
//! Kept in `labels.json` beside the journal, never in it: the journal stays a log of what the
//! guard decided, and a label can change as often as the user likes. Same rules as the journal:
//! mode 0600, rewritten through a temporary file that is synced and renamed, and a damaged file
//! gives one warning and loads as empty rather than stopping the log from showing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{io, JournalError};

/// A letter made for a call: which kind, in which language, dated when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Made {
    /// `access`, `erase`, `object` or `complaint` (see `rights::Kind`).
    pub kind: String,
    pub lang: String,
    /// The letter's date, `YYYY-MM-DD`.
    pub date: String,
}

/// The user's words about one call. Empty strings are unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Label {
    pub company: String,
    /// The phone number or address the call was made to.
    pub number: String,
    pub note: String,
    pub letters: Vec<Made>,
}

impl Label {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Labels by call id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    #[serde(default)]
    pub calls: BTreeMap<String, Label>,
}

/// Where the labels of the journal at `journal` live.
pub fn path_for(journal: &Path) -> PathBuf {
    journal.with_file_name("labels.json")
}

impl Labels {
    /// Reads `path`; a missing file is no labels. A file that is not a labels file loads as no
    /// labels with a warning (it is left as it is until the user saves a label).
    pub fn read(path: &Path) -> Result<(Self, Option<String>), JournalError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::default(), None))
            }
            Err(e) => return Err(io(path, "cannot read the call labels")(e)),
        };
        match serde_json::from_slice(&bytes) {
            Ok(l) => Ok((l, None)),
            Err(e) => Ok((
                Self::default(),
                Some(format!(
                    "{}: call labels skipped, not a labels file ({e})",
                    path.display()
                )),
            )),
        }
    }

    /// The label of `call` (empty if it has none).
    pub fn get(&self, call: &str) -> Label {
        self.calls.get(call).cloned().unwrap_or_default()
    }

    /// Writes the labels to `path` atomically with mode 0600.
    pub fn write(&self, path: &Path) -> Result<(), JournalError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the journal folder"))?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut text = serde_json::to_vec_pretty(self).expect("labels serialise");
        text.push(b'\n');
        let mut f = options
            .open(&tmp)
            .map_err(io(&tmp, "cannot write the call labels"))?;
        f.write_all(&text)
            .and_then(|_| f.sync_all())
            .map_err(io(&tmp, "cannot write the call labels"))?;
        std::fs::rename(&tmp, path).map_err(io(path, "cannot replace the call labels"))
    }

    /// Reads `path`, changes the label of `call` with `edit` and writes it back, so that two
    /// edits of different calls from different places both stay. A damaged file is not
    /// overwritten: its warning becomes the error.
    pub fn update(
        path: &Path,
        call: &str,
        edit: impl FnOnce(&mut Label),
    ) -> Result<Label, LabelError> {
        let (mut all, warning) = Self::read(path)?;
        if let Some(w) = warning {
            return Err(LabelError::Damaged(w));
        }
        let label = all.calls.entry(call.to_string()).or_default();
        edit(label);
        let label = label.clone();
        if label.is_empty() {
            all.calls.remove(call);
        }
        all.write(path)?;
        Ok(label)
    }
}

/// Why a label could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error(transparent)]
    Io(#[from] JournalError),
    #[error("{0}; move it away to start a new one")]
    Damaged(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("holdguard-labels-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("labels.json")
    }

    #[test]
    fn labels_round_trip_any_text_and_are_private() {
        let path = tmp("round");
        let odd = "Bank \"&\" <Zoë>,\nline two\t— 電話 🙂";
        Labels::update(&path, "c1", |l| {
            l.company = odd.into();
            l.note = "x".repeat(10_000);
        })
        .unwrap();
        Labels::update(&path, "c2", |l| l.number = "+31 20 123 4567".into()).unwrap();
        let (all, warning) = Labels::read(&path).unwrap();
        assert!(warning.is_none());
        assert_eq!(all.get("c1").company, odd);
        assert_eq!(all.get("c1").note.len(), 10_000);
        assert_eq!(all.get("c2").number, "+31 20 123 4567");
        assert!(all.get("none").is_empty());
        // Clearing every field drops the call from the file.
        Labels::update(&path, "c2", |l| l.number.clear()).unwrap();
        assert!(!Labels::read(&path).unwrap().0.calls.contains_key("c2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_warns_loads_empty_and_is_not_overwritten() {
        let path = tmp("damaged");
        std::fs::write(&path, b"{\"calls\": {\"c1\": {\"company\": 3").unwrap();
        let (all, warning) = Labels::read(&path).unwrap();
        assert!(all.calls.is_empty());
        assert!(warning.unwrap().contains("not a labels file"));
        let err = Labels::update(&path, "c1", |l| l.note = "n".into()).unwrap_err();
        assert!(err.to_string().contains("move it away"), "{err}");
        assert!(std::fs::read_to_string(&path).unwrap().ends_with(": 3"));
    }
}
