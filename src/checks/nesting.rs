//! `content/too-deep`: Markdown nested deeper than healthcast builds its tree
//! ([`MAX_DEPTH`] levels of block quotes, lists, emphasis …). What lies deeper
//! is left out of the tree so that no walk over it can exhaust the stack; the
//! post is then not what the writer wrote, so it is held until flattened.

use crate::content::Post;
use crate::content::doc::MAX_DEPTH;
use crate::diagnostic::{Diagnostic, Span, line_column};

pub fn check(post: &Post, out: &mut Vec<Diagnostic>) {
    let Some(at) = post.doc.too_deep else {
        return;
    };
    let (line, column) = line_column(&post.text, at);
    out.push(
        Diagnostic::error(
            &post.file,
            Span::point(line, column),
            "content/too-deep",
            format!(
                "the Markdown nests more than {MAX_DEPTH} levels deep here (block quotes, lists, emphasis …); what lies deeper is not read"
            ),
        )
        .with_help(
            "flatten it: a post needs a few levels of quotes or lists at most; the post is held until then",
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::doc::{Doc, Element};

    /// How deep the tree is, counted without recursion.
    fn depth(doc: &Doc) -> usize {
        let mut deepest = 0;
        let mut stack: Vec<(&Element, usize)> = doc.blocks.iter().map(|e| (e, 1)).collect();
        while let Some((element, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(element.children.iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    /// The example channels of schedules/channels.yaml, uncommented: one
    /// channel of every platform, so that every renderer walks the tree.
    fn every_platform() -> crate::config::Config {
        let example = include_str!("../../schedules/channels.yaml");
        let mut channels = String::new();
        for line in example.lines() {
            match line.strip_prefix("  # ") {
                Some(rest) if !rest.starts_with(' ') && rest.ends_with(':') => {
                    channels.push_str(&format!("  {rest}\n"))
                }
                Some(rest) if rest.starts_with("  ") => channels.push_str(&format!("  {rest}\n")),
                _ => channels.push_str(&format!("{line}\n")),
            }
        }
        let file =
            |path: &str, text: &str| crate::source::RepoFile::new(path, text.as_bytes().to_vec());
        let loaded = crate::config::load_files(vec![
            file("schedules/channels.yaml", &channels),
            file("schedules/policy.yaml", "reviewers: [\"Dr. A\"]\n"),
        ]);
        let config = loaded
            .config
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        assert!(config.channels.len() >= 12, "{:?}", config.channels.keys());
        config
    }

    fn post(body: &str) -> Post {
        crate::content::parse(
            "content/deep.md",
            &format!("---\ntitle: Deep\n---\n{body}\n"),
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// Everything `check`, `preview` and `run` do with a post's body, on a
    /// thread whose stack is far smaller than the default: before the tree
    /// was bounded, 6,000 levels overflowed even the main thread's 8 MiB.
    fn check_and_render_on_a_small_stack(body: String) -> (Vec<Diagnostic>, usize) {
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let post = post(&body);
                let config = every_platform();
                let (diagnostics, _) =
                    crate::checks::check_post(&post, Some(&config), chrono::Utc::now());
                let _ = crate::render::plain::text(&post, "feed");
                let _ = crate::render::html::body(&post);
                for channel in config.channels.values() {
                    let _ = crate::render::render(&post, channel);
                }
                let depth = depth(&post.doc);
                drop(post);
                (diagnostics, depth)
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn nesting_beyond_the_bound_is_an_error_at_its_start_and_never_overflows() {
        for (levels, unit) in [
            (6_000, ">"),
            (100_000, ">"),
            (6_000, "> - "),
            (100_000, "> - "),
        ] {
            let body = format!("Fine.\n\n{} deep", unit.repeat(levels));
            let (diagnostics, depth) = check_and_render_on_a_small_stack(body.clone());
            assert!(depth <= MAX_DEPTH, "{levels} × {unit:?}: depth {depth}");
            let d: Vec<_> = diagnostics
                .iter()
                .filter(|d| d.code == "content/too-deep")
                .collect();
            assert_eq!(d.len(), 1, "{levels} × {unit:?}: {diagnostics:?}");
            assert!(d[0].is_error());
            // Line 5 of the file (after 3 lines of front matter and "Fine.").
            assert_eq!(d[0].span.line, 6, "{:?}", d[0]);
            assert!(
                d[0].message.contains("more than 100 levels"),
                "{}",
                d[0].message
            );
        }
    }

    #[test]
    fn ordinary_nesting_is_kept_whole() {
        let post = post("> quote\n> - item\n>   > inner **bold [link](https://x.example)**\n");
        assert_eq!(post.doc.too_deep, None);
        let mut out = Vec::new();
        check(&post, &mut out);
        assert!(out.is_empty());
        assert!(post.doc.texts().iter().any(|(t, _)| *t == "link"));
        // Exactly at the bound is still whole.
        let post = self::post(&">".repeat(MAX_DEPTH - 1));
        assert_eq!(post.doc.too_deep, None, "{}", depth(&post.doc));
        let post = self::post(&">".repeat(MAX_DEPTH + 1));
        assert!(post.doc.too_deep.is_some());
    }
}
