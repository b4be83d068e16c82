//! `rights/*`: every image says who made it and under what licence ("Don't
//! Steal"); `license: owned` for the organisation's own images.

use super::finding::Finding;
use crate::content::Post;

pub fn check(post: &Post, out: &mut Vec<Finding>) {
    let Some(image) = &post.meta.image else {
        return;
    };
    let span = post.value_offset("image:").map_or(0..0, |at| at..at + 5);
    if image.credit.as_deref().is_none_or(|c| c.trim().is_empty()) {
        out.push(
            Finding::new("rights/credit", span.clone(), "the image has no `credit`")
                .with_help("add `credit:` with the photographer or source"),
        );
    }
    if image.license.as_deref().is_none_or(|l| l.trim().is_empty()) {
        out.push(
            Finding::new("rights/license", span, "the image has no `license`")
                .with_help("add `license:` (e.g. \"CC BY 4.0\", or \"owned\" for the organisation's own images)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::content::parse;

    #[test]
    fn images_need_credit_and_license() {
        let codes = |image: &str| {
            let post = parse(
                "content/a.md",
                &format!("---\ntitle: T\nimage: {image}\n---\n"),
            )
            .unwrap();
            let mut out = Vec::new();
            super::check(&post, &mut out);
            out.iter().map(|f| f.code).collect::<Vec<_>>()
        };
        assert_eq!(
            codes("{ path: a.png, alt: A }"),
            ["rights/credit", "rights/license"]
        );
        assert_eq!(
            codes("{ path: a.png, alt: A, credit: Us, license: owned }"),
            Vec::<&str>::new()
        );
    }
}
