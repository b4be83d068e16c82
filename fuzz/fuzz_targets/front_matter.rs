//! A whole post file through the real loader: the front matter split, the
//! YAML deserialized into `FrontMatter`, the body parsed into a `Doc`; then
//! the spans diagnostics point at.
#![no_main]

use healthcast::content::{self, front_matter};
use healthcast_fuzz::{check_spans, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = text(data);
    let file = file.as_ref();
    if let Ok(split) = front_matter::split(file) {
        // The parts are slices of the file at the offsets reported.
        assert_eq!(
            file.get(split.yaml_offset..split.yaml_offset + split.yaml.len()),
            Some(split.yaml)
        );
        assert_eq!(file.get(split.body_offset..), Some(split.body));
        assert!(split.yaml_offset <= split.body_offset);
    }
    match content::parse("content/tips/fuzz.md", file) {
        Ok(post) => {
            assert_eq!(post.text, file);
            assert_eq!(&file[post.body_offset..], post.body);
            check_spans(&post.doc.blocks, file, &(post.body_offset..file.len()));
            for path in [
                &["title"][..],
                &["review", "on"],
                &["publish_at"],
                &["image", "alt"],
            ] {
                let span = post.key_span(path);
                assert!(span.line >= 1 && span.column >= 1, "{span:?}");
            }
            if let Some(channel) = post.meta.channels.first() {
                let span = post.item_span(&["channels"], channel);
                assert!(span.line >= 1 && span.column >= 1, "{span:?}");
            }
            if let Some(title) = &post.meta.title
                && let Some(at) = post.value_offset(title)
            {
                assert!(file.is_char_boundary(at));
            }
        }
        Err(diagnostic) => {
            let span = diagnostic.span;
            assert!(span.line >= 1 && span.column >= 1, "{diagnostic:?}");
        }
    }
});
