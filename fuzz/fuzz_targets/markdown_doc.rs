//! Markdown → `Doc`: every element's span inside the body and on character
//! boundaries, and the text leaves checks read.
#![no_main]

use healthcast::content::Doc;
use healthcast_fuzz::{check_spans, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = text(data);
    // As in a post: the body after a short front matter.
    let file = format!("---\n---\n{body}");
    let offset = file.len() - body.len();
    let doc = Doc::parse(&file[offset..], offset);
    check_spans(&doc.blocks, &file, &(offset..file.len()));
    for (_, span) in doc.texts() {
        assert!(file.get(span.clone()).is_some(), "text span {span:?}");
    }
});
