//! The Atom 1.0 feed channel: every publication becomes an entry in a feed
//! file, newest first, at most `max_entries`. The file is replaced atomically
//! (temporary file in the same folder, then rename), so a reader or a crash
//! never sees half a feed; the new file keeps the old one's mode (0644 for
//! the first), so the web server that serves it can still read it. Entry ids derive from the publication key, so a
//! publication that is already in the feed is found again, never added twice.
//!
//! No character that XML 1.0 forbids (NUL, ESC, U+FFFF …) is ever written:
//! one of them makes the whole file unreadable, and feed readers then lose
//! every entry. `check` holds posts that contain one; the writer strips any
//! that reach it all the same (from a post, the configuration or an older
//! feed file, which is read with them stripped so that it recovers).

use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt, Sent};
use crate::config::FeedSettings;
use crate::content::chars::strip_xml_forbidden;
use crate::content::hex;
use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The mode of a feed file healthcast creates: readable by the web server.
#[cfg(unix)]
const NEW_FEED_MODE: u32 = 0o644;

pub struct FeedPublisher {
    name: String,
    path: PathBuf,
    settings: FeedSettings,
    /// Serializes read-modify-write of the file within this process.
    lock: Mutex<()>,
}

/// The Atom entry id of a publication.
pub fn entry_id(key: &str) -> String {
    format!(
        "urn:healthcast:{}",
        &hex(&Sha256::digest(key.as_bytes()))[..32]
    )
}

impl FeedPublisher {
    pub fn new(name: &str, settings: &FeedSettings, root: &Path) -> FeedPublisher {
        FeedPublisher {
            name: name.to_string(),
            path: root.join(&settings.path),
            settings: settings.clone(),
            lock: Mutex::new(()),
        }
    }

    fn read(&self) -> Result<Option<Feed>, PublishError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PublishError::Retryable(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )));
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let text = strip_xml_forbidden(&text);
        Feed::read_from(text.as_bytes()).map(Some).map_err(|e| {
            PublishError::Permanent(format!(
                "{} exists but is not an Atom feed ({e}); move it away and healthcast starts a new one",
                self.path.display()
            ))
        })
    }

    fn new_feed(&self) -> Feed {
        let mut feed = Feed::default();
        feed.set_title(Text::plain(self.settings.title.clone()));
        feed.set_id(
            self.settings
                .id
                .clone()
                .unwrap_or_else(|| format!("urn:healthcast:feed:{}", self.name)),
        );
        let mut author = Person::default();
        author.set_name(
            self.settings
                .author
                .clone()
                .unwrap_or_else(|| self.settings.title.clone()),
        );
        feed.set_authors(vec![author]);
        if let Some(href) = &self.settings.link {
            let mut link = Link::default();
            link.set_href(href.clone());
            link.set_rel("alternate");
            feed.set_links(vec![link]);
        }
        feed
    }

    fn receipt(&self, id: String) -> Receipt {
        Receipt {
            url: Some(self.path.display().to_string()),
            remote_id: id,
        }
    }

    fn write(&self, feed: &Feed) -> Result<(), PublishError> {
        // The file is replaced by a rename, the last step: any failure
        // leaves the old feed in place, so nothing was published.
        let io = |e: std::io::Error| {
            PublishError::NotPosted(format!("cannot write {}: {e}", self.path.display()))
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut xml = Vec::new();
        feed.write_to(&mut xml)
            .map_err(|e| PublishError::Permanent(format!("cannot serialize the feed: {e}")))?;
        let xml = String::from_utf8_lossy(&xml);
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        temp.write_all(strip_xml_forbidden(&xml).as_bytes())
            .map_err(io)?;
        temp.write_all(b"\n").map_err(io)?;
        // The temporary file is 0600; a web server running as another user
        // must still read the feed: keep the mode of the file it replaces,
        // and make a new one world-readable.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(NEW_FEED_MODE);
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(io)?;
        }
        temp.as_file().sync_all().map_err(io)?;
        temp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }

    fn publish_now(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = entry_id(ctx.key);
        // Nothing is written before the feed was read: a failure to read
        // it posted nothing.
        let current = self.read().map_err(|e| match e {
            PublishError::Retryable(m) | PublishError::NoAnswer(m) => PublishError::NotPosted(m),
            other => other,
        })?;
        let mut feed = match current {
            Some(feed) => feed,
            None => self.new_feed(),
        };
        if feed.entries().iter().any(|e| e.id() == id) {
            return Ok(self.receipt(id));
        }
        let at = ctx.at.fixed_offset();
        let mut entry = Entry::default();
        entry.set_id(id.clone());
        entry.set_title(Text::plain(ctx.post.title().to_string()));
        entry.set_updated(at);
        entry.set_published(Some(at));
        let mut content = Content::default();
        content.set_content_type(Some("html".to_string()));
        content.set_value(
            ctx.rendered
                .html
                .clone()
                .or_else(|| Some(ctx.rendered.text.clone())),
        );
        entry.set_content(Some(content));
        if let Some(href) = &ctx.post.meta.link {
            let mut link = Link::default();
            link.set_href(href.clone());
            link.set_rel("alternate");
            entry.set_links(vec![link]);
        }
        let mut entries = feed.entries().to_vec();
        entries.push(entry);
        entries.sort_by(|a, b| {
            b.updated()
                .cmp(a.updated())
                .then_with(|| a.id().cmp(b.id()))
        });
        entries.truncate(self.settings.max_entries.max(1));
        feed.set_updated(Utc::now().fixed_offset());
        feed.set_entries(entries);
        self.write(&feed)?;
        Ok(self.receipt(id))
    }
}

impl Publisher for FeedPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    /// Sending a publication again cannot post it twice.
    fn idempotent(&self) -> bool {
        true
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(async move { self.publish_now(ctx) })
    }

    fn can_look_up(&self) -> bool {
        true
    }

    fn writes_locally(&self) -> bool {
        true
    }

    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        Box::pin(async move {
            let id = entry_id(sent.key);
            let found = self
                .read()?
                .is_some_and(|f| f.entries().iter().any(|e| e.id() == id));
            Ok(found.then(|| self.receipt(id)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::parse;
    use crate::render::Rendered;
    use chrono::{TimeZone, Utc};

    fn settings(max: usize) -> FeedSettings {
        FeedSettings {
            path: "out/feed.xml".into(),
            title: "Tips".into(),
            link: Some("https://hospital.example".into()),
            id: None,
            author: None,
            max_entries: max,
        }
    }

    async fn publish(p: &FeedPublisher, key: &str, hour: u32) -> Receipt {
        let post = parse(
            "content/a.md",
            "---\ntitle: Wash hands\nlink: https://www.cdc.gov/x\n---\nSoap.\n",
        )
        .unwrap();
        let rendered = Rendered {
            text: "Soap.".into(),
            length: 5,
            limit: None,
            html: Some("<p>Soap.</p>".into()),
            parts: Vec::new(),
        };
        let ctx = PublishContext {
            image: None,
            key,
            post: &post,
            rendered: &rendered,
            at: Utc.with_ymd_and_hms(2026, 11, 24, hour, 0, 0).unwrap(),
        };
        p.publish(&ctx).await.unwrap()
    }

    #[tokio::test]
    async fn keeps_the_newest_entries_and_never_adds_one_twice() {
        let dir = tempfile::tempdir().unwrap();
        let p = FeedPublisher::new("feed", &settings(2), dir.path());
        let first = publish(&p, "a@feed@1", 9).await;
        publish(&p, "a@feed@1", 9).await;
        publish(&p, "b@feed@2", 10).await;
        publish(&p, "c@feed@3", 11).await;
        let text = std::fs::read_to_string(dir.path().join("out/feed.xml")).unwrap();
        let feed: Feed = text.parse().unwrap();
        let ids: Vec<&str> = feed.entries().iter().map(|e| e.id()).collect();
        assert_eq!(ids, [entry_id("c@feed@3"), entry_id("b@feed@2")]);
        assert_eq!(first.remote_id, entry_id("a@feed@1"));
        assert!(p.lookup(&Sent::key("c@feed@3")).await.unwrap().is_some());
        assert!(p.lookup(&Sent::key("a@feed@1")).await.unwrap().is_none());
        // No temporary files are left beside the feed.
        assert_eq!(
            std::fs::read_dir(dir.path().join("out")).unwrap().count(),
            1
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_feed_is_0644_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let p = FeedPublisher::new("feed", &settings(5), dir.path());
        let path = dir.path().join("out/feed.xml");
        publish(&p, "a@feed@1", 9).await;
        assert_eq!(mode(&path), 0o644, "a web server as another user reads it");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        publish(&p, "b@feed@2", 10).await;
        assert_eq!(mode(&path), 0o640, "the mode the operator chose stays");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.parse::<Feed>().unwrap().entries().len(), 2);
    }

    #[tokio::test]
    async fn characters_xml_forbids_are_never_written_and_an_old_feed_with_them_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(5);
        s.title = "Tips\u{1B}".into();
        let p = FeedPublisher::new("feed", &s, dir.path());
        let post = parse(
            "content/a.md",
            "---\ntitle: \"Wash \\e[2J hands \\0 \\uFFFF\"\n---\nx\n",
        )
        .unwrap();
        assert!(post.title().contains('\u{1B}'));
        let rendered = Rendered {
            text: "Soap\u{0}.".into(),
            length: 5,
            limit: None,
            html: Some("<p>Soap\u{1B}\u{FFFE}.</p>".into()),
            parts: Vec::new(),
        };
        let ctx = PublishContext {
            image: None,
            key: "a@feed@1",
            post: &post,
            rendered: &rendered,
            at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        };
        p.publish(&ctx).await.unwrap();
        let path = dir.path().join("out/feed.xml");
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            !text.chars().any(crate::content::chars::xml_forbids),
            "{text:?}"
        );
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "Wash [2J hands"
        );
        // A feed an older version wrote with an ESC in it is read, not refused.
        std::fs::write(&path, text.replace("Wash", "Wash\u{1B}")).unwrap();
        assert!(p.lookup(&Sent::key("a@feed@1")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_foreign_file_at_the_feed_path_is_a_permanent_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/feed.xml"), "not xml").unwrap();
        let p = FeedPublisher::new("feed", &settings(5), dir.path());
        let post = parse("content/a.md", "---\ntitle: T\n---\nx\n").unwrap();
        let rendered = Rendered {
            text: "x".into(),
            length: 1,
            limit: None,
            html: None,
            parts: Vec::new(),
        };
        let ctx = PublishContext {
            image: None,
            key: "k",
            post: &post,
            rendered: &rendered,
            at: Utc::now(),
        };
        assert!(matches!(
            p.publish(&ctx).await,
            Err(PublishError::Permanent(_))
        ));
    }
}
