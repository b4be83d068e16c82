//! HTML for the feed: the Markdown rendered by pulldown-cmark, then cleaned by
//! ammonia so that raw HTML in a post (scripts, styles, event handlers,
//! `javascript:` links) cannot reach a reader.

use crate::content::Post;
use crate::content::doc;
use pulldown_cmark::html;

pub fn body(post: &Post) -> String {
    let mut raw = String::new();
    // The same depth bound as the tree: a post nested too deep is held, and
    // its HTML stays shallow enough for ammonia to clean.
    html::push_html(&mut raw, doc::events(&post.body).map(|(event, _)| event));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::content::parse;

    #[test]
    fn raw_html_is_sanitized() {
        let post = parse(
            "content/t.md",
            "---\ntitle: T\n---\nHi **there** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n",
        )
        .unwrap();
        let html = super::body(&post);
        assert!(html.contains("<strong>there</strong>"), "{html}");
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }
}
