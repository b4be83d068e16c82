//! Posts: loading `content/**/*.md` into [`Post`]s. A file that cannot be
//! read or parsed becomes a diagnostic; every other post still loads.

pub mod chars;
pub mod doc;
pub mod front_matter;
pub mod image;

use crate::diagnostic::{Diagnostic, Span};
use crate::locate;
use crate::source::{MAX_FILE_BYTES, Problem, RepoFile};
use crate::yaml;
pub use doc::Doc;
pub use front_matter::{Expiry, FrontMatter, Kind};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const CONTENT_DIR: &str = "content";

#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Stable key: `id:` from the front matter, else the path under
    /// `content/` without `.md`.
    pub id: String,
    /// Path relative to the repository.
    pub file: String,
    pub meta: FrontMatter,
    /// The YAML text of the front matter, to locate keys in diagnostics.
    pub yaml: String,
    /// 1-based file line of the first YAML line.
    pub yaml_line: usize,
    /// Byte offset of the YAML in the file.
    pub yaml_offset: usize,
    /// The whole file, for rules that point into any part of it.
    pub text: String,
    /// The Markdown body.
    pub body: String,
    /// Byte offset of the body in the file.
    pub body_offset: usize,
    pub doc: Doc,
    /// SHA-256 of the whole file, hex: what was published, for the ledger.
    pub hash: String,
}

impl Post {
    pub fn kind(&self) -> Kind {
        self.meta.kind.unwrap_or(Kind::Tip)
    }

    pub fn title(&self) -> &str {
        self.meta.title.as_deref().unwrap_or(&self.id)
    }

    /// The span of a front-matter key (e.g. `["review", "on"]`), falling back
    /// to the opening `---` when the key is not written.
    pub fn key_span(&self, path: &[&str]) -> Span {
        locate::key(&self.yaml, path)
            .map(|s| self.shift(s))
            .unwrap_or(Span::chars(1, 1, 3))
    }

    /// The span of a front-matter value written as `value` (a title, an alt
    /// text): where it stands in the YAML, else the key's span. Returns the
    /// value's byte offset in the file when found.
    pub fn value_offset(&self, value: &str) -> Option<usize> {
        if value.is_empty() {
            return None;
        }
        self.yaml.find(value).map(|at| self.yaml_offset + at)
    }

    /// The span of the value of the key at `path` as written (a plain or
    /// quoted scalar), else the key's span.
    pub fn value_span(&self, path: &[&str]) -> Span {
        let Some(start) = locate::value_start(&self.yaml, path) else {
            return self.key_span(path);
        };
        let line_start = self.yaml[..start].rfind('\n').map_or(0, |i| i + 1);
        let in_flow = self.yaml[line_start..start].contains('{');
        let line = self.yaml[start..].split('\n').next().unwrap_or_default();
        let len = match line.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let mut escaped = false;
                line.char_indices()
                    .skip(1)
                    .find(|&(_, c)| {
                        let end = c == quote && !escaped;
                        escaped = quote == '"' && c == '\\' && !escaped;
                        end
                    })
                    .map_or(line.len(), |(i, _)| i + 1)
            }
            _ => {
                let end = line.find(" #").unwrap_or(line.len());
                let end = if in_flow {
                    line[..end].find([',', '}', ']']).unwrap_or(end)
                } else {
                    end
                };
                line[..end].trim_end().len()
            }
        };
        let at = self.yaml_offset + start;
        Span::from_bytes(&self.text, at, at + len.max(1))
    }

    /// The span of `item` in the list under `path` (e.g. a channel name).
    pub fn item_span(&self, path: &[&str], item: &str) -> Span {
        locate::item(&self.yaml, path, item)
            .map(|s| self.shift(s))
            .unwrap_or_else(|| self.key_span(path))
    }

    fn shift(&self, s: Span) -> Span {
        let d = self.yaml_line - 1;
        Span {
            line: s.line + d,
            end_line: s.end_line + d,
            ..s
        }
    }
}

/// The outcome of loading: the posts that parsed, diagnostics for the rest,
/// and each file's text (for showing source lines in diagnostics).
#[derive(Debug, Default)]
pub struct Loaded {
    pub posts: Vec<Post>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: BTreeMap<String, String>,
}

/// The id of a post without `id:`: its path under `content/` without `.md`.
pub fn default_id(path: &str) -> &str {
    path.strip_prefix("content/")
        .unwrap_or(path)
        .trim_end_matches(".md")
}

/// The error for an empty `content/`.
pub fn empty_diagnostic() -> Diagnostic {
    Diagnostic::error(CONTENT_DIR, Span::point(1, 1), "content/empty", "no posts found: content/ has no .md files")
        .with_help("add a post with `healthcast new tip \"Title\"`, or run from the repository root (--repo DIR)")
}

/// Reads and parses one file: the post (if it parses), its text (if it is
/// text) or the diagnostic that says why not.
pub fn load_file(file: &RepoFile) -> (Option<String>, Result<Post, Box<Diagnostic>>) {
    if let Some(problem) = &file.problem {
        return (None, Err(Box::new(problem_diagnostic(&file.path, problem))));
    }
    match read_text(file) {
        Ok(text) => {
            let post = parse(&file.path, &text);
            (Some(text), post)
        }
        Err(d) => (None, Err(d)),
    }
}

/// Parses every file (in parallel); checks corpus-wide rules (duplicate ids)
/// at the end.
pub fn load(files: Vec<RepoFile>) -> Loaded {
    let mut loaded = Loaded::default();
    if files.is_empty() {
        loaded.diagnostics.push(empty_diagnostic());
        return loaded;
    }
    let results = crate::parallel::map(files, |file| {
        let (text, post) = load_file(&file);
        (file.path, text, post)
    });
    for (path, text, post) in results {
        match post {
            Ok(post) => loaded.posts.push(post),
            Err(d) => loaded.diagnostics.push(*d),
        }
        if let Some(text) = text {
            loaded.sources.insert(path, text);
        }
    }
    let (diagnostics, duplicated) = duplicate_ids(
        loaded
            .posts
            .iter()
            .map(|p| (p.id.as_str(), p.file.as_str(), p.key_span(&["id"]))),
    );
    loaded.diagnostics.extend(diagnostics);
    // Neither copy of a duplicated id is trusted to publish.
    loaded.posts.retain(|p| !duplicated.contains(&p.id));
    loaded
}

/// One error per later post that reuses an id (naming both files), and the
/// set of ids used more than once.
pub fn duplicate_ids<'a>(
    sites: impl IntoIterator<Item = (&'a str, &'a str, Span)>,
) -> (Vec<Diagnostic>, std::collections::BTreeSet<String>) {
    let mut first: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut diagnostics = Vec::new();
    let mut duplicated = std::collections::BTreeSet::new();
    for (id, file, span) in sites {
        match first.get(id) {
            Some(other) => {
                diagnostics.push(
                    Diagnostic::error(
                        file,
                        span,
                        "frontmatter/duplicate-id",
                        format!("post id `{id}` is used by both {other} and {file}"),
                    )
                    .with_help(
                        "give one of them a different `id:`; the id keys the publication ledger",
                    ),
                );
                duplicated.insert(id.to_string());
            }
            None => {
                first.insert(id, file);
            }
        }
    }
    (diagnostics, duplicated)
}

/// The error for a file of content/ that is listed but not read as a post.
fn problem_diagnostic(path: &str, problem: &Problem) -> Diagnostic {
    let code = match problem {
        Problem::NameNotUtf8 => "content/file-name",
        Problem::Symlink { .. } => "content/symlink",
        Problem::Extension { .. } => "content/extension",
        Problem::NotRegular | Problem::Unreadable(_) => "content/unreadable",
    };
    let (message, help) = match problem {
        Problem::Extension { .. } => (
            format!("`{path}` is not read as a post: only files ending in `.md` are"),
            problem.explain(path).1,
        ),
        _ => problem.explain(path),
    };
    Diagnostic::error(path, Span::point(1, 1), code, message).with_help(help)
}

fn read_text(file: &RepoFile) -> Result<String, Box<Diagnostic>> {
    let (Some(bytes), false) = (&file.bytes, file.size > MAX_FILE_BYTES) else {
        return Err(Box::new(
            Diagnostic::error(
                &file.path,
                Span::point(1, 1),
                "content/too-large",
                format!(
                    "file is {} bytes; posts may be at most {} bytes",
                    file.size, MAX_FILE_BYTES
                ),
            )
            .with_help("a post is a short Markdown text; move large files out of content/"),
        ));
    };
    String::from_utf8(bytes.clone()).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&bytes[..offset]);
        let (line, column) = crate::diagnostic::line_column(&valid, offset);
        Box::new(
            Diagnostic::error(
                &file.path,
                Span::point(line, column),
                "content/not-utf8",
                "file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8 in your editor"),
        )
    })
}

/// Parses one post file. `path` is relative to the repository.
pub fn parse(path: &str, text: &str) -> Result<Post, Box<Diagnostic>> {
    let split = front_matter::split(text).map_err(|e| {
        Box::new(match e {
            front_matter::SplitError::Missing => Diagnostic::error(
                path,
                Span::point(1, 1),
                "frontmatter/missing",
                "the file does not start with front matter",
            )
            .with_help("start the file with a `---` line, the YAML keys (title, kind, review …), and another `---` line"),
            front_matter::SplitError::Unclosed => Diagnostic::error(
                path,
                Span::chars(1, 1, 3),
                "frontmatter/unclosed",
                "the front matter opened here is never closed",
            )
            .with_help("add a `---` line after the last YAML key"),
        })
    })?;
    let meta: FrontMatter = if split.yaml.trim().is_empty() {
        FrontMatter::default()
    } else {
        yaml::from_str(split.yaml).map_err(|e: yaml::YamlError| {
            // The YAML parser refuses most control characters with a message
            // about the parser; the character is what the writer must fix.
            if let Some((at, c)) = split.yaml.char_indices().find(|(_, c)| chars::is_forbidden(*c)) {
                let (line, column) = crate::diagnostic::line_column(text, split.yaml_offset + at);
                return Box::new(
                    Diagnostic::error(
                        path,
                        Span::point(line, column),
                        "content/control-char",
                        format!("{} in the front matter", chars::describe(c)),
                    )
                    .with_help("delete the character: it is invisible in most editors, and the front matter cannot be read with it"),
                );
            }
            let e = e.relocate(split.yaml);
            let line = e.line.unwrap_or(1) + split.yaml_line - 1;
            let column = e.column.unwrap_or(1);
            // The lines the message names are the file's, not the YAML's.
            let e = e.below(split.yaml_line - 1);
            let (code, help) = if e.duplicate.is_some() {
                ("frontmatter/duplicate-key", "keep one of the two; if both are meant, merge them")
            } else if e.message.starts_with("unknown field") {
                (
                    "frontmatter/unknown-key",
                    "remove the key or fix its spelling; DESIGN of the format is in README \"Content format\"",
                )
            } else if e.message.contains("while scanning") || e.message.contains("did not find") {
                ("frontmatter/yaml", "fix the YAML syntax")
            } else {
                ("frontmatter/invalid", "see README \"Content format\" for the type of each key")
            };
            Box::new(Diagnostic::error(path, Span::point(line, column), code, e.message).with_help(help))
        })?
    };
    let id = meta
        .id
        .clone()
        .unwrap_or_else(|| default_id(path).to_string());
    let hash = hex(&Sha256::digest(text.as_bytes()));
    Ok(Post {
        id,
        file: path.to_string(),
        yaml: split.yaml.to_string(),
        yaml_line: split.yaml_line,
        yaml_offset: split.yaml_offset,
        text: text.to_string(),
        body: split.body.to_string(),
        body_offset: split.body_offset,
        doc: Doc::parse(split.body, split.body_offset),
        hash,
        meta,
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RepoFile {
        RepoFile::new(path, text.as_bytes().to_vec())
    }

    #[test]
    fn id_defaults_to_the_path_under_content() {
        let post = parse("content/tips/sleep.md", "---\ntitle: Sleep\n---\nBody\n").unwrap();
        assert_eq!(post.id, "tips/sleep");
        assert_eq!(post.body, "Body\n");
    }

    #[test]
    fn unknown_key_points_at_its_line_and_column() {
        let d = parse("content/a.md", "---\ntitle: A\nkind: tip\ntitel: B\n---\n").unwrap_err();
        assert_eq!(d.code, "frontmatter/unknown-key");
        assert_eq!((d.span.line, d.span.column), (4, 1));
        assert!(d.message.contains("titel"), "{}", d.message);
    }

    #[test]
    fn a_bad_value_points_at_the_value() {
        let d = parse("content/a.md", "---\ntitle: A\nkind: recipe\n---\n").unwrap_err();
        assert_eq!(d.code, "frontmatter/invalid");
        assert_eq!((d.span.line, d.span.column), (3, 7));
        let d = parse("content/a.md", "---\ntitle: A\npublish_at: tomorrow\n---\n").unwrap_err();
        assert_eq!(d.code, "frontmatter/invalid");
        assert_eq!((d.span.line, d.span.column), (3, 13));
        assert!(d.message.contains("UTC offset"), "{}", d.message);
    }

    #[test]
    fn malformed_yaml_points_at_the_broken_line() {
        let d = parse("content/a.md", "---\ntitle: A\ntags: [a, b\n---\n").unwrap_err();
        assert_eq!(d.code, "frontmatter/yaml");
        assert!(d.span.line >= 3, "{:?}", d.span);
    }

    #[test]
    fn non_utf8_and_oversized_files_are_diagnosed_and_others_still_load() {
        let bad = RepoFile::new("content/bad.md", b"---\nx: \xff\n".to_vec());
        let big = RepoFile {
            size: 50 * 1024 * 1024,
            bytes: None,
            ..RepoFile::new("content/big.md", Vec::new())
        };
        let good = file("content/good.md", "---\ntitle: Good\n---\nBody\n");
        let loaded = load(vec![bad, big, good]);
        let codes: Vec<_> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["content/not-utf8", "content/too-large"]);
        assert_eq!(loaded.diagnostics[0].span.line, 2);
        assert_eq!(loaded.posts.len(), 1);
    }

    #[test]
    fn a_value_s_span_covers_it_as_written() {
        let post = parse(
            "content/a.md",
            "---\nimage: { path: images/a.png, alt: x }\nlink: \"https://a.example/\\\"q\" # c\nlang: en # c\n---\n",
        )
        .unwrap();
        assert_eq!(post.value_span(&["image", "path"]), Span::chars(2, 16, 12));
        assert_eq!(post.value_span(&["link"]), Span::chars(3, 7, 23));
        assert_eq!(post.value_span(&["lang"]), Span::chars(4, 7, 2));
    }

    #[test]
    fn duplicate_ids_name_both_files() {
        let loaded = load(vec![
            file("content/a.md", "---\nid: same\ntitle: A\n---\n"),
            file("content/b.md", "---\nid: same\ntitle: B\n---\n"),
        ]);
        assert_eq!(loaded.diagnostics.len(), 1);
        let d = &loaded.diagnostics[0];
        assert_eq!(d.code, "frontmatter/duplicate-id");
        assert!(d.message.contains("content/a.md") && d.message.contains("content/b.md"));
        assert_eq!(d.span.line, 2);
        assert!(loaded.posts.is_empty());
    }

    #[test]
    fn an_empty_content_folder_is_an_error() {
        let loaded = load(Vec::new());
        assert_eq!(loaded.diagnostics[0].code, "content/empty");
    }
}
