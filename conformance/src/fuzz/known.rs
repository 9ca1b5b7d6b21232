//! Known divergences: mandated ones recorded as facts of a runtime, with why, so that a fuzz
//! run fails only on what nobody has looked at.
//!
//! The file is a JSON array of `{"target", "signature", "why"}`: a target's name or `*` for
//! every target, and a [`Divergence::signature`] or its start followed by `*`.

use std::path::Path;

use serde::Deserialize;

use crate::fuzz::compare::Divergence;

/// The recorded divergences.
///
/// ```
/// use wasiport_conformance::fuzz::Known;
/// let known = Known::parse(r#"[{"target": "wasmer", "signature": "path_rename errno: *", "why": "..."}]"#)?;
/// assert_eq!(known.entries(), 1);
/// # Ok::<(), wasiport_conformance::fuzz::KnownError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Known(Vec<Entry>);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    target: String,
    signature: String,
    why: String,
}

/// Why a known-divergence file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KnownError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// It is not such a file.
    #[error("{0}")]
    Malformed(String),
}

impl Known {
    /// Parses a file's text.
    pub fn parse(text: &str) -> Result<Self, KnownError> {
        let entries: Vec<Entry> =
            serde_json::from_str(text).map_err(|e| KnownError::Malformed(e.to_string()))?;
        if let Some(e) = entries.iter().find(|e| e.why.trim().is_empty()) {
            return Err(KnownError::Malformed(format!(
                "{} `{}`: a known divergence needs a why",
                e.target, e.signature
            )));
        }
        Ok(Known(entries))
    }

    /// Reads a file.
    pub fn load(path: &Path) -> Result<Self, KnownError> {
        let text = std::fs::read_to_string(path).map_err(|source| KnownError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Known::parse(&text).map_err(|e| KnownError::Malformed(format!("{}: {e}", path.display())))
    }

    /// How many entries it has.
    pub fn entries(&self) -> usize {
        self.0.len()
    }

    /// Why `divergence` of `target` is known, if it is.
    pub fn why(&self, target: &str, divergence: &Divergence) -> Option<&str> {
        let signature = divergence.signature();
        self.0
            .iter()
            .find(|e| {
                (e.target == target || e.target == "*")
                    && match e.signature.strip_suffix('*') {
                        Some(start) => signature.starts_with(start),
                        None => signature == e.signature,
                    }
            })
            .map(|e| e.why.as_str())
    }
}
