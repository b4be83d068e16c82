//! What a text rule reports before it becomes a [`Diagnostic`]: a code, a
//! byte range in the text it was given, a message and a hint. The caller
//! shifts the range into the file and applies the policy's severity.
//!
//! [`Diagnostic`]: crate::diagnostic::Diagnostic

use crate::diagnostic::Severity;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Namespaced rule code, e.g. `privacy/phone`.
    pub code: &'static str,
    /// Byte range in the scanned text.
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
    /// The severity when the policy sets none for the code; `None` takes the
    /// rule table's default. (Readability's depends on how far off it is.)
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(code: &'static str, span: Range<usize>, message: impl Into<String>) -> Finding {
        Finding {
            code,
            span,
            message: message.into(),
            help: None,
            severity: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }
}
