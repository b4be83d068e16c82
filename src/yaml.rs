//! The one place that names the YAML library. serde_yaml is no longer
//! maintained; a maintained fork with the same API replaces it by changing the
//! `use` line below.

use serde::de::DeserializeOwned;
use serde_yaml as backend;

pub use backend::Value;

/// A YAML error with its 1-based position, when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl YamlError {
    /// Errors raised by our own value parsers (dates, durations) are placed by
    /// the library at the start of the enclosing mapping. When the message
    /// quotes the offending value (`` `tomorrow` is not a date… ``) and that
    /// value stands in `text`, point at it instead.
    pub fn relocate(mut self, text: &str) -> YamlError {
        if self.line.is_some_and(|l| l > 1) || self.column.is_some_and(|c| c > 1) {
            return self;
        }
        let quoted = self
            .message
            .split('`')
            .nth(1)
            .filter(|q| !q.is_empty() && !self.message.starts_with("unknown field"));
        if let Some(offset) = quoted.and_then(|q| text.find(q)) {
            let (line, column) = crate::diagnostic::line_column(text, offset);
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

impl From<backend::Error> for YamlError {
    fn from(error: backend::Error) -> Self {
        let location = error.location();
        let mut message = error.to_string();
        // The library appends " at line L column C"; we report the position
        // separately, relative to the whole file.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        YamlError {
            message,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        }
    }
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(backend::from_str(text)?)
}

pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, YamlError> {
    Ok(backend::from_value(value)?)
}

pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    Ok(backend::to_string(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        title: String,
    }

    #[test]
    fn errors_carry_one_based_position_and_a_message_without_it() {
        let error = from_str::<Doc>("title: a\ntitel: b\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert_eq!(error.column, Some(1));
        assert!(
            error.message.starts_with("unknown field `titel`"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("at line"));
    }
}
