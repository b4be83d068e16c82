//! The image a post names (`image.path`): the one place that decides whether
//! it may be read, and reads it — for `check` and for the publisher alike, so
//! that what check accepts is what is uploaded and what it refuses is never
//! read. Above all nothing outside the repository is read: a symlink
//! `images/x.png -> /etc/…` (or a symlinked folder) was accepted and, on
//! Mastodon, uploaded. The path is resolved (through symlinks, in the work
//! tree by the OS, in a commit through the commit's own tree) and refused
//! unless it stays inside the repository root.
//!
//! The type comes from the bytes (PNG, JPEG, GIF, WebP magic numbers), never
//! from the extension; an extension that says otherwise is a warning.

use crate::source::{GitTree, Resolved, Snapshot};
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Why an image cannot be used: a diagnostic code, what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

/// An image that may be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// The whole file, or (when only checked) its first bytes.
    pub bytes: Vec<u8>,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`, by the bytes.
    pub mime: &'static str,
    /// Set when the extension names another type than the bytes (a warning).
    pub mismatch: Option<Problem>,
}

/// Enough bytes to tell every accepted type (WebP needs 12).
const HEAD_BYTES: u64 = 16;

/// The images of one snapshot. For a commit, its tree is listed once, when
/// the first image is opened, and shared by every post.
pub struct Images<'a> {
    snapshot: &'a Snapshot,
    tree: OnceLock<Result<GitTree, String>>,
    root: OnceLock<Result<PathBuf, String>>,
}

impl<'a> Images<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Images<'a> {
        Images {
            snapshot,
            tree: OnceLock::new(),
            root: OnceLock::new(),
        }
    }

    /// Validates the image at `path` (as written in `image.path`) and reads
    /// it: whole when `whole`, else only its first bytes (for `check`).
    pub fn open(&self, path: &str, whole: bool) -> Result<ImageFile, Problem> {
        check_path(path)?;
        let bytes = match self.snapshot {
            Snapshot::WorkTree { root } => self.read_work_tree(root, path, whole)?,
            Snapshot::Commit { root, commit } => self.read_commit(root, commit, path)?,
        };
        let Some(mime) = sniff(&bytes) else {
            return Err(problem(
                "frontmatter/image-type",
                format!(
                    "image `{path}` is not a PNG, JPEG, GIF or WebP file ({})",
                    what_it_is(&bytes)
                ),
                "export it as PNG or JPEG, which every platform accepts; the type is read from the file's bytes, not its name",
            ));
        };
        let mismatch = mismatch(path, mime);
        Ok(ImageFile {
            bytes,
            mime,
            mismatch,
        })
    }

    fn read_work_tree(
        &self,
        root: &std::path::Path,
        path: &str,
        whole: bool,
    ) -> Result<Vec<u8>, Problem> {
        let root = self
            .root
            .get_or_init(|| {
                std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))
            })
            .as_ref()
            .map_err(|e| unreadable(path, e))?;
        let full = root.join(path);
        // Every symlink on the way resolved: this is the file that would be read.
        let real = match std::fs::canonicalize(&full) {
            Ok(real) => real,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || e.kind() == std::io::ErrorKind::NotADirectory =>
            {
                let dangling = std::fs::symlink_metadata(&full).is_ok();
                return Err(missing(path, dangling, "the work tree"));
            }
            Err(e) => {
                return Err(symlink_problem(format!(
                    "image `{path}` is a symlink that cannot be followed: {e}"
                )));
            }
        };
        if !real.starts_with(root) {
            return Err(symlink_problem(format!(
                "image `{path}` leads out of the repository through a symlink (to {})",
                real.display()
            )));
        }
        let meta = std::fs::metadata(&real).map_err(|e| unreadable(path, &e.to_string()))?;
        if meta.is_dir() {
            return Err(not_a_file(path, "a folder"));
        }
        if !meta.is_file() {
            return Err(not_a_file(
                path,
                "not a regular file (a FIFO, socket or device)",
            ));
        }
        let file = std::fs::File::open(&real).map_err(|e| unreadable(path, &e.to_string()))?;
        let mut bytes = Vec::new();
        let read = if whole {
            (&file).read_to_end(&mut bytes)
        } else {
            file.take(HEAD_BYTES).read_to_end(&mut bytes)
        };
        read.map_err(|e| unreadable(path, &e.to_string()))?;
        Ok(bytes)
    }

    fn read_commit(
        &self,
        root: &std::path::Path,
        commit: &str,
        path: &str,
    ) -> Result<Vec<u8>, Problem> {
        let tree = self
            .tree
            .get_or_init(|| GitTree::load(root, commit).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| unreadable(path, e))?;
        let short = commit.get(..12).unwrap_or(commit);
        match tree.resolve(path) {
            Resolved::Blob { oid, .. } => {
                let output = std::process::Command::new("git")
                    .arg("-C")
                    .arg(root)
                    .args(["cat-file", "blob", &oid])
                    .output()
                    .map_err(|e| unreadable(path, &format!("cannot run git: {e}")))?;
                if !output.status.success() {
                    let error = String::from_utf8_lossy(&output.stderr);
                    return Err(unreadable(path, error.trim()));
                }
                Ok(output.stdout)
            }
            Resolved::Tree { .. } => Err(not_a_file(path, "a folder")),
            Resolved::Other { .. } => Err(not_a_file(path, "a submodule")),
            Resolved::Missing { path: missing_at } => {
                let dangling = missing_at != path;
                Err(missing(path, dangling, &format!("commit {short}")))
            }
            Resolved::Outside => Err(symlink_problem(format!(
                "image `{path}` leads out of the repository through a symlink"
            ))),
            Resolved::Loop => Err(symlink_problem(format!(
                "image `{path}` is a symlink that cannot be followed: a loop of symlinks"
            ))),
        }
    }
}

fn problem(code: &'static str, message: String, help: &str) -> Problem {
    Problem {
        code,
        message,
        help: help.to_string(),
    }
}

/// What a path must be before anything is looked up: not empty, no control
/// characters, not a URL, relative and without `..`.
fn check_path(path: &str) -> Result<(), Problem> {
    if path.trim().is_empty() {
        return Err(problem(
            "frontmatter/image-path",
            "`image.path` is empty".into(),
            "give the image's path relative to the repository root, e.g. images/flu.png",
        ));
    }
    if let Some(c) = path
        .chars()
        .find(|c| c.is_control() || super::chars::is_forbidden(*c))
    {
        return Err(problem(
            "frontmatter/image-path",
            format!(
                "image path `{}` holds a control character ({})",
                super::chars::visible(path),
                super::chars::describe(c)
            ),
            "delete the character from `image.path`: no file can be named with it",
        ));
    }
    let lower = path.to_ascii_lowercase();
    let scheme = lower.split_once("://").is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if scheme || lower.starts_with("data:") {
        let shown: String = path.chars().take(60).collect();
        let ellipsis = if shown.len() < path.len() { "…" } else { "" };
        return Err(problem(
            "frontmatter/image-url",
            format!("image path `{shown}{ellipsis}` is a URL; images are read from the repository"),
            "save the image in the repository (e.g. images/flu.png), commit it, and give that path",
        ));
    }
    if !crate::source::is_inside(path) {
        return Err(problem(
            "frontmatter/image-path",
            format!("image path `{path}` leaves the repository"),
            "give a path relative to the repository root, without `..`, e.g. images/flu.png",
        ));
    }
    Ok(())
}

fn missing(path: &str, dangling: bool, place: &str) -> Problem {
    let what = if dangling {
        "is a symlink to a file that does not exist"
    } else {
        "does not exist"
    };
    problem(
        "frontmatter/image-missing",
        format!("image `{path}` {what} in {place}"),
        "add the image (committed, for `run`), or correct the path: it is relative to the repository root",
    )
}

fn not_a_file(path: &str, what: &str) -> Problem {
    problem(
        "frontmatter/image-not-file",
        format!("image `{path}` is {what}, not a file"),
        "give the path of the image file itself, e.g. images/flu.png",
    )
}

fn symlink_problem(message: String) -> Problem {
    problem(
        "frontmatter/image-symlink",
        message,
        "copy the image into the repository instead of linking to it; nothing outside the repository is ever read or uploaded",
    )
}

fn unreadable(path: &str, error: &str) -> Problem {
    problem(
        "frontmatter/image-missing",
        format!("image `{path}` cannot be read: {error}"),
        "make the image readable by the user healthcast runs as",
    )
}

/// The image type by its magic number.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A word on what a refused file is, from its first bytes.
fn what_it_is(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(HEAD_BYTES as usize)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let what = if bytes.is_empty() {
        "it is empty"
    } else if text.trim_start().starts_with("<svg") || text.trim_start().starts_with("<?xml") {
        "it looks like SVG or other XML"
    } else if text.trim_start().starts_with('<') {
        "it looks like HTML"
    } else if head.starts_with(b"%PDF") {
        "it is a PDF"
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        "it is a TIFF"
    } else if head.starts_with(b"BM") {
        "it is a BMP"
    } else if head.get(4..8) == Some(b"ftyp") {
        "it is HEIC/AVIF or a video"
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return format!("it starts with bytes {}", hex.join(" "));
    };
    what.to_string()
}

/// A warning when the name's extension says another type than the bytes.
fn mismatch(path: &str, mime: &'static str) -> Option<Problem> {
    let named = crate::publish::Image::mime_for(path);
    if named == Some(mime) {
        return None;
    }
    let kind = |m: &str| m.trim_start_matches("image/").to_uppercase();
    let ext = match mime {
        "image/jpeg" => "jpg",
        other => other.trim_start_matches("image/"),
    };
    let name = path.rfind('/').map_or(0, |i| i + 1);
    let stem = path[name..]
        .rfind('.')
        .map_or(path, |dot| &path[..name + dot]);
    let said = named.map_or_else(|| "no image type".to_string(), kind);
    Some(problem(
        "frontmatter/image-extension",
        format!(
            "image `{path}` is a {} file, but its name says {said}",
            kind(mime)
        ),
        &format!(
            "rename it to `{stem}.{ext}`; it is published as {}, as its bytes say",
            kind(mime)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_magic_numbers() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"\x89PN"), None);
        assert_eq!(what_it_is(b"<!DOCTYPE html>"), "it looks like HTML");
        assert_eq!(what_it_is(b""), "it is empty");
        assert_eq!(what_it_is(b"\0\x01"), "it starts with bytes 00 01");
    }

    #[test]
    fn paths_are_refused_before_anything_is_read() {
        let code = |path: &str| check_path(path).err().map(|p| p.code);
        assert_eq!(code("images/a.png"), None);
        for url in [
            "https://x.example/a.png",
            "http://x/a.png",
            "HTTPS://X/A.PNG",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
        ] {
            assert_eq!(code(url), Some("frontmatter/image-url"), "{url}");
        }
        for outside in ["../a.png", "/etc/passwd", "images/../../a.png", ""] {
            assert_eq!(code(outside), Some("frontmatter/image-path"), "{outside:?}");
        }
        let nul = check_path("images/a\0.png").unwrap_err();
        assert_eq!(nul.code, "frontmatter/image-path");
        assert!(nul.message.contains("(U+0000 NULL)"), "{}", nul.message);
        assert!(!nul.message.contains('\0'));
    }

    #[test]
    fn an_extension_that_disagrees_is_a_warning_naming_both() {
        assert_eq!(mismatch("a.png", "image/png"), None);
        assert_eq!(mismatch("a.JPEG", "image/jpeg"), None);
        let p = mismatch("images/photo.png", "image/jpeg").unwrap();
        assert_eq!(
            p.message,
            "image `images/photo.png` is a JPEG file, but its name says PNG"
        );
        assert!(
            p.help.starts_with("rename it to `images/photo.jpg`"),
            "{}",
            p.help
        );
        let p = mismatch("images.v2/photo", "image/gif").unwrap();
        assert!(
            p.help.starts_with("rename it to `images.v2/photo.gif`"),
            "{}",
            p.help
        );
        assert!(
            p.message.ends_with("but its name says no image type"),
            "{}",
            p.message
        );
    }
}
