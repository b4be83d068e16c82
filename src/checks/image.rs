//! `frontmatter/image-*`: the image a post names must be a PNG, JPEG, GIF or
//! WebP file (by its bytes) inside the repository. Reported at the
//! `image.path` value by `check`, so that a writer learns it before `run`
//! holds the post. The one family that reads the snapshot: the validation is
//! [`Images::open`], which the publisher calls too, so both agree.

use crate::content::Post;
use crate::content::image::Images;
use crate::diagnostic::Diagnostic;

pub fn check(post: &Post, images: &Images, out: &mut Vec<Diagnostic>) {
    let Some(image) = &post.meta.image else {
        return;
    };
    let span = post.value_span(&["image", "path"]);
    match images.open(&image.path, false) {
        Ok(file) => {
            if let Some(p) = file.mismatch {
                out.push(
                    Diagnostic::warning(&post.file, span, p.code, p.message).with_help(p.help),
                );
            }
        }
        Err(p) => {
            out.push(Diagnostic::error(&post.file, span, p.code, p.message).with_help(p.help))
        }
    }
}
