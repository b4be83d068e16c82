//! The publication ledger: one row per (post, channel, slot), written before
//! the publish request (`sending`) and settled after it (`published`,
//! `failed` or `unknown`). It is what makes "exactly once" checkable and what
//! `status` reads. SQLite through sqlx, so that a PostgreSQL ledger for
//! several replicas shares this code and its SQL.

use crate::plan::LedgerView;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_PATH: &str = ".healthcast/ledger.sqlite";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Claimed; the request is (or was, before a crash) in flight.
    Sending,
    Published,
    Failed,
    /// The request may or may not have reached the platform: a person decides.
    Unknown,
    /// Due longer ago than catch-up allows (or superseded by a later slot):
    /// never sent, recorded so that it is seen.
    Missed,
    /// Due while publishing was frozen: never sent, and never sent later.
    Frozen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Published => "published",
            State::Failed => "failed",
            State::Unknown => "unknown",
            State::Missed => "missed",
            State::Frozen => "frozen",
        }
    }
}

impl FromStr for State {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "sending" => State::Sending,
            "published" => State::Published,
            "failed" => State::Failed,
            "unknown" => State::Unknown,
            "missed" => State::Missed,
            "frozen" => State::Frozen,
            other => bail!("unknown ledger state `{other}`"),
        })
    }
}

/// What is claimed before a publish request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub post: String,
    pub channel: String,
    pub schedule: Option<String>,
    pub at: DateTime<Utc>,
    pub content_hash: String,
    pub commit: Option<String>,
    /// The platform's read-back fingerprint (`Publisher::fingerprint`).
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimResult {
    /// The row is ours now, in state `sending`.
    Claimed,
    /// The key, or the schedule slot on that channel, is already recorded.
    AlreadyRecorded,
}

/// How a publication ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Published {
        remote_id: String,
        url: Option<String>,
    },
    Failed {
        error: String,
    },
    Unknown {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub key: String,
    pub post: String,
    pub channel: String,
    pub schedule: Option<String>,
    pub at: DateTime<Utc>,
    pub state: State,
    pub content_hash: String,
    pub commit: Option<String>,
    pub remote_id: Option<String>,
    pub url: Option<String>,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub fingerprint: Option<String>,
    /// When the latest attempt began (`None`: never attempted).
    pub attempt_at: Option<DateTime<Utc>>,
    /// An attempt may have reached the platform (its answer was lost, it
    /// timed out, or the server failed after receiving it): the publication
    /// is bound to its key for good. It is never released or settled
    /// `failed`; it ends `published` or `unknown`, unless a read-back made
    /// after the request surely ended proves it absent.
    pub ambiguous: bool,
}

pub struct Ledger {
    pool: SqlitePool,
}

/// A full-row SELECT followed by `$rest`, as one static string (sqlx takes
/// only static SQL without an explicit audit).
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT key, post, channel, schedule, slot_at, state, content_hash, commit_id, ",
            "remote_id, url, attempts, error, created_at, updated_at, fingerprint, attempt_at, ambiguous ",
            "FROM publications ",
            $rest
        )
    };
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS publications (
        key TEXT PRIMARY KEY,
        post TEXT NOT NULL,
        channel TEXT NOT NULL,
        schedule TEXT,
        slot_at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('sending','published','failed','unknown','missed','frozen')),
        content_hash TEXT NOT NULL,
        commit_id TEXT,
        remote_id TEXT,
        url TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        fingerprint TEXT,
        attempt_at TEXT,
        ambiguous INTEGER NOT NULL DEFAULT 0
    )",
    // One tip per schedule slot and channel, whatever the planner picks after
    // a restart or a content change.
    "CREATE UNIQUE INDEX IF NOT EXISTS publications_slot
        ON publications (schedule, channel, slot_at) WHERE schedule IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS publications_state ON publications (state)",
];

/// The ledger's schema version (SQLite `user_version`).
const SCHEMA_VERSION: i64 = 3;

/// The columns of version 0 and 1, for copying their rows.
const V1_COLUMNS: &str = "key, post, channel, schedule, slot_at, state, content_hash, commit_id, \
    remote_id, url, attempts, error, created_at, updated_at";

/// Brings a ledger to [`SCHEMA_VERSION`], one version at a time, in one
/// transaction. Version 0 is a ledger from before versioning, whose state
/// check lacked `missed` and `frozen`: its rows are copied into the current
/// table, so no publication record is lost. Version 1 lacks the read-back
/// `fingerprint`; version 2 lacks `attempt_at` and `ambiguous`.
async fn migrate(pool: &SqlitePool) -> Result<()> {
    let version: i64 = sqlx::query("PRAGMA user_version")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if version == 0 {
        rebuild_from_v0(&mut tx).await?;
    }
    if version == 1 {
        sqlx::query("ALTER TABLE publications ADD COLUMN fingerprint TEXT")
            .execute(&mut *tx)
            .await?;
    }
    if (1..=2).contains(&version) {
        sqlx::query("ALTER TABLE publications ADD COLUMN attempt_at TEXT")
            .execute(&mut *tx)
            .await?;
        sqlx::query("ALTER TABLE publications ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0")
            .execute(&mut *tx)
            .await?;
    }
    // An older version kept no record of what its attempts did: a row it
    // left `sending` may have reached the platform.
    sqlx::query(
        "UPDATE publications SET attempt_at = updated_at, ambiguous = 1
         WHERE state = 'sending' AND attempt_at IS NULL",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("PRAGMA user_version = 3")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Version 0 (or no table yet): the current table, with the old rows copied.
async fn rebuild_from_v0(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<()> {
    let old_table: Option<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'publications'",
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    if old_table.is_some() {
        sqlx::query("ALTER TABLE publications RENAME TO publications_v0")
            .execute(&mut **tx)
            .await?;
        sqlx::query("DROP INDEX IF EXISTS publications_slot")
            .execute(&mut **tx)
            .await?;
        sqlx::query("DROP INDEX IF EXISTS publications_state")
            .execute(&mut **tx)
            .await?;
    }
    for statement in SCHEMA {
        sqlx::query(*statement).execute(&mut **tx).await?;
    }
    if old_table.is_some() {
        let copy = format!(
            "INSERT INTO publications ({V1_COLUMNS}) SELECT {V1_COLUMNS} FROM publications_v0"
        );
        sqlx::query(sqlx::AssertSqlSafe(copy))
            .execute(&mut **tx)
            .await?;
        sqlx::query("DROP TABLE publications_v0")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("bad timestamp `{s}` in the ledger"))?
        .with_timezone(&Utc))
}

impl Ledger {
    /// Opens (creating if needed) the ledger file at `path`.
    pub async fn open(path: &Path) -> Result<Ledger> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the ledger folder {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the ledger {}", path.display()))?;
        migrate(&pool)
            .await
            .with_context(|| format!("cannot set up the ledger {}", path.display()))?;
        Ok(Ledger { pool })
    }

    /// Opens an existing ledger read-only; `None` when there is none yet
    /// (preview must not create one).
    pub async fn open_existing(path: &Path) -> Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the ledger {}", path.display()))?;
        Ok(Some(Ledger { pool }))
    }

    /// Records `claim` as `sending`, unless its key or its schedule slot is
    /// already recorded. Atomic: two replicas cannot both claim.
    pub async fn claim(&self, claim: &Claim, now: DateTime<Utc>) -> Result<ClaimResult> {
        let result = sqlx::query(
            "INSERT INTO publications
                (key, post, channel, schedule, slot_at, state, content_hash, commit_id, attempts, created_at, updated_at, fingerprint, attempt_at)
             VALUES ($1, $2, $3, $4, $5, 'sending', $6, $7, 1, $8, $8, $9, $8)
             ON CONFLICT DO NOTHING",
        )
        .bind(&claim.key)
        .bind(&claim.post)
        .bind(&claim.channel)
        .bind(&claim.schedule)
        .bind(timestamp(claim.at))
        .bind(&claim.content_hash)
        .bind(&claim.commit)
        .bind(timestamp(now))
        .bind(&claim.fingerprint)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot record publication {} in the ledger", claim.key))?;
        Ok(if result.rows_affected() == 1 {
            ClaimResult::Claimed
        } else {
            ClaimResult::AlreadyRecorded
        })
    }

    /// Records a publication that will never be sent (`missed` or `frozen`)
    /// with the reason, unless its key or slot is already recorded.
    pub async fn record_unsent(
        &self,
        claim: &Claim,
        state: State,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        debug_assert!(matches!(state, State::Missed | State::Frozen));
        sqlx::query(
            "INSERT INTO publications
                (key, post, channel, schedule, slot_at, state, content_hash, commit_id, attempts, error, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $10)
             ON CONFLICT DO NOTHING",
        )
        .bind(&claim.key)
        .bind(&claim.post)
        .bind(&claim.channel)
        .bind(&claim.schedule)
        .bind(timestamp(claim.at))
        .bind(state.as_str())
        .bind(&claim.content_hash)
        .bind(&claim.commit)
        .bind(reason)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot record publication {} in the ledger", claim.key))?;
        Ok(())
    }

    /// A person settles an `unknown` publication. Only `unknown` rows can be
    /// resolved: the others were settled by what the platform answered.
    pub async fn resolve(&self, key: &str, outcome: &Outcome, now: DateTime<Utc>) -> Result<()> {
        let (state, remote_id, error) = match outcome {
            Outcome::Published { remote_id, .. } => {
                (State::Published, Some(remote_id.as_str()), None)
            }
            Outcome::Failed { error } | Outcome::Unknown { error } => {
                (State::Failed, None, Some(error.as_str()))
            }
        };
        let result = sqlx::query(
            "UPDATE publications SET state = $1, remote_id = COALESCE($2, remote_id), error = $3, updated_at = $4
             WHERE key = $5 AND state = 'unknown'",
        )
        .bind(state.as_str())
        .bind(remote_id)
        .bind(error)
        .bind(timestamp(now))
        .bind(key)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot resolve publication {key}"))?;
        if result.rows_affected() != 1 {
            match self.get(key).await? {
                Some(r) => bail!(
                    "publication {key} is {}, not unknown: only unknown publications are resolved by hand",
                    r.state.as_str()
                ),
                None => {
                    bail!("no publication {key} in the ledger; `healthcast status` lists the keys")
                }
            }
        }
        Ok(())
    }

    /// Settles a `sending` row. Any other state is an error: a settled
    /// publication never changes by itself. `failed` is refused for a row
    /// whose attempts may have reached the platform: that one may exist.
    pub async fn settle(&self, key: &str, outcome: &Outcome, now: DateTime<Utc>) -> Result<()> {
        let (state, remote_id, url, error) = match outcome {
            Outcome::Published { remote_id, url } => (
                State::Published,
                Some(remote_id.as_str()),
                url.as_deref(),
                None,
            ),
            Outcome::Failed { error } => (State::Failed, None, None, Some(error.as_str())),
            Outcome::Unknown { error } => (State::Unknown, None, None, Some(error.as_str())),
        };
        let result = sqlx::query(
            "UPDATE publications SET state = $1, remote_id = $2, url = $3, error = $4, updated_at = $5
             WHERE key = $6 AND state = 'sending' AND NOT ($1 = 'failed' AND ambiguous = 1)",
        )
        .bind(state.as_str())
        .bind(remote_id)
        .bind(url)
        .bind(error)
        .bind(timestamp(now))
        .bind(key)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot settle publication {key} in the ledger"))?;
        if result.rows_affected() != 1 {
            return Err(self.refusal(key, state.as_str()).await);
        }
        Ok(())
    }

    /// Why the row `key` could not move to `wanted`.
    async fn refusal(&self, key: &str, wanted: &str) -> anyhow::Error {
        match self.get(key).await {
            Ok(Some(r)) if r.state == State::Sending && r.ambiguous => anyhow::anyhow!(
                "publication {key} may have reached the platform; it cannot become {wanted} (only published or unknown)"
            ),
            Ok(Some(r)) => anyhow::anyhow!(
                "publication {key} is {}, not sending; it cannot become {wanted}",
                r.state.as_str()
            ),
            Ok(None) => anyhow::anyhow!("publication {key} is absent; it cannot become {wanted}"),
            Err(e) => e,
        }
    }

    /// Records that another attempt of a `sending` publication begins now.
    pub async fn bump_attempts(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE publications SET attempts = attempts + 1, attempt_at = $2
             WHERE key = $1 AND state = 'sending'",
        )
        .bind(key)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot count a try of {key} in the ledger"))?;
        Ok(())
    }

    /// Records that an attempt of a `sending` publication may have reached
    /// the platform. From now on it is never released nor settled `failed`.
    pub async fn mark_ambiguous(&self, key: &str) -> Result<()> {
        sqlx::query("UPDATE publications SET ambiguous = 1 WHERE key = $1 AND state = 'sending'")
            .bind(key)
            .execute(&self.pool)
            .await
            .with_context(|| format!("cannot record a lost answer of {key} in the ledger"))?;
        Ok(())
    }

    /// Removes a `sending` row none of whose attempts can have reached the
    /// platform, so that it is planned again. Refused for an ambiguous row.
    pub async fn release(&self, key: &str) -> Result<()> {
        let result = sqlx::query(
            "DELETE FROM publications WHERE key = $1 AND state = 'sending' AND ambiguous = 0",
        )
        .bind(key)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot release publication {key} in the ledger"))?;
        if result.rows_affected() != 1 {
            return Err(self.refusal(key, "released").await);
        }
        Ok(())
    }

    /// Removes a `sending` row that a read-back, made after its last request
    /// surely ended, proved absent from the platform: planned again.
    pub async fn release_absent(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM publications WHERE key = $1 AND state = 'sending'")
            .bind(key)
            .execute(&self.pool)
            .await
            .with_context(|| format!("cannot release publication {key} in the ledger"))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Option<Record>> {
        let row = sqlx::query(select!("WHERE key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read the ledger")?;
        row.map(|r| record(&r)).transpose()
    }

    /// Rows in `state`, oldest first.
    pub async fn in_state(&self, state: State) -> Result<Vec<Record>> {
        let rows = sqlx::query(select!("WHERE state = $1 ORDER BY slot_at, key"))
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await
            .context("cannot read the ledger")?;
        rows.iter().map(record).collect()
    }

    /// The `limit` most recent publications, newest first.
    pub async fn recent(&self, limit: i64) -> Result<Vec<Record>> {
        let rows = sqlx::query(select!("ORDER BY slot_at DESC, key LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("cannot read the ledger")?;
        rows.iter().map(record).collect()
    }

    /// How many publications went (or may have gone) out on `channel` since
    /// `since`, and when the latest did: for the channel's limits.
    pub async fn sent_since(
        &self,
        channel: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, Option<DateTime<Utc>>)> {
        let row = sqlx::query(
            "SELECT COUNT(*), MAX(created_at) FROM publications
             WHERE channel = $1 AND created_at >= $2 AND state IN ('sending','published','unknown')",
        )
        .bind(channel)
        .bind(timestamp(since))
        .fetch_one(&self.pool)
        .await
        .context("cannot read the ledger")?;
        let last: Option<String> = row.try_get(1)?;
        Ok((row.try_get(0)?, last.map(|t| parse_time(&t)).transpose()?))
    }

    /// The remote ids of `channel`'s publications claimed since `since`,
    /// other than `key`.
    pub async fn remote_ids_since(
        &self,
        channel: &str,
        since: DateTime<Utc>,
        key: &str,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT remote_id FROM publications
             WHERE channel = $1 AND created_at >= $2 AND key != $3 AND remote_id IS NOT NULL",
        )
        .bind(channel)
        .bind(timestamp(since))
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the ledger")?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Whether the ledger holds no publication at all (new, or emptied).
    pub async fn is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM publications)")
            .fetch_one(&self.pool)
            .await
            .context("cannot read the ledger")?;
        Ok(row.try_get::<i64, _>(0)? == 0)
    }

    /// Publications by (channel, state), for metrics.
    pub async fn counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT channel, state, COUNT(*) FROM publications GROUP BY channel, state ORDER BY channel, state",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot read the ledger")?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// What the planner needs to know of the ledger.
    pub async fn view(&self) -> Result<LedgerView> {
        let rows =
            sqlx::query("SELECT key, post, channel, schedule, slot_at, state FROM publications")
                .fetch_all(&self.pool)
                .await
                .context("cannot read the ledger")?;
        let mut view = LedgerView::default();
        for row in rows {
            let key: String = row.try_get("key")?;
            let post: String = row.try_get("post")?;
            let channel: String = row.try_get("channel")?;
            let schedule: Option<String> = row.try_get("schedule")?;
            let at = parse_time(&row.try_get::<String, _>("slot_at")?)?;
            let state: State = row.try_get::<String, _>("state")?.parse()?;
            view.keys.insert(key);
            if state == State::Sending {
                view.unsettled.insert((channel.clone(), post.clone()));
            }
            if let Some(schedule) = schedule {
                view.slots.insert((schedule, channel.clone(), at));
            }
            // Failed, missed and frozen publications did not reach readers;
            // anything else may have.
            if !matches!(state, State::Failed | State::Missed | State::Frozen) {
                let last = view.last_published.entry((channel, post)).or_insert(at);
                *last = (*last).max(at);
            }
        }
        Ok(view)
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

fn record(row: &SqliteRow) -> Result<Record> {
    Ok(Record {
        key: row.try_get("key")?,
        post: row.try_get("post")?,
        channel: row.try_get("channel")?,
        schedule: row.try_get("schedule")?,
        at: parse_time(&row.try_get::<String, _>("slot_at")?)?,
        state: row.try_get::<String, _>("state")?.parse()?,
        content_hash: row.try_get("content_hash")?,
        fingerprint: row.try_get("fingerprint")?,
        commit: row.try_get("commit_id")?,
        remote_id: row.try_get("remote_id")?,
        url: row.try_get("url")?,
        attempts: row.try_get("attempts")?,
        error: row.try_get("error")?,
        created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
        updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
        attempt_at: row
            .try_get::<Option<String>, _>("attempt_at")?
            .map(|t| parse_time(&t))
            .transpose()?,
        ambiguous: row.try_get::<i64, _>("ambiguous")? != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claim(key: &str, schedule: Option<&str>, hour: u32) -> Claim {
        Claim {
            key: key.into(),
            post: "tips/a".into(),
            channel: "feed".into(),
            schedule: schedule.map(String::from),
            at: Utc.with_ymd_and_hms(2026, 11, 24, hour, 0, 0).unwrap(),
            content_hash: "abc".into(),
            fingerprint: None,
            commit: Some("c0ffee".into()),
        }
    }

    #[tokio::test]
    async fn a_claim_is_settled_once_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/ledger.sqlite");
        let now = Utc::now();
        let ledger = Ledger::open(&path).await.unwrap();
        let c = claim("k1", Some("tips"), 14);
        assert_eq!(ledger.claim(&c, now).await.unwrap(), ClaimResult::Claimed);
        assert_eq!(
            ledger.get("k1").await.unwrap().unwrap().state,
            State::Sending
        );
        // The same key again, and another post in the same schedule slot.
        assert_eq!(
            ledger.claim(&c, now).await.unwrap(),
            ClaimResult::AlreadyRecorded
        );
        let other = Claim {
            key: "k2".into(),
            post: "tips/b".into(),
            ..c.clone()
        };
        assert_eq!(
            ledger.claim(&other, now).await.unwrap(),
            ClaimResult::AlreadyRecorded
        );

        let published = Outcome::Published {
            remote_id: "urn:x".into(),
            url: None,
        };
        ledger.settle("k1", &published, now).await.unwrap();
        // Settling twice, or to another outcome, is refused.
        let again = ledger
            .settle("k1", &Outcome::Failed { error: "x".into() }, now)
            .await;
        assert!(
            again
                .unwrap_err()
                .to_string()
                .contains("is published, not sending")
        );
        assert!(ledger.settle("nope", &published, now).await.is_err());
        ledger.close().await;

        let reopened = Ledger::open(&path).await.unwrap();
        let record = reopened.get("k1").await.unwrap().unwrap();
        assert_eq!(record.state, State::Published);
        assert_eq!(record.remote_id.as_deref(), Some("urn:x"));
        assert_eq!(record.commit.as_deref(), Some("c0ffee"));
    }

    #[tokio::test]
    async fn failed_and_unknown_are_listed_and_the_view_skips_failed_history() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite")).await.unwrap();
        let now = Utc::now();
        for (key, hour, outcome) in [
            (
                "a",
                9,
                Outcome::Failed {
                    error: "disk full".into(),
                },
            ),
            (
                "b",
                10,
                Outcome::Unknown {
                    error: "timeout".into(),
                },
            ),
        ] {
            let c = Claim {
                key: key.into(),
                ..claim(key, None, hour)
            };
            ledger.claim(&c, now).await.unwrap();
            ledger.settle(key, &outcome, now).await.unwrap();
        }
        assert_eq!(
            ledger.in_state(State::Failed).await.unwrap()[0]
                .error
                .as_deref(),
            Some("disk full")
        );
        assert_eq!(ledger.in_state(State::Unknown).await.unwrap()[0].key, "b");
        let view = ledger.view().await.unwrap();
        assert!(view.keys.contains("a") && view.keys.contains("b"));
        let last = view.last_published[&("feed".to_string(), "tips/a".to_string())];
        assert_eq!(last, Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap());
        assert_eq!(ledger.recent(1).await.unwrap()[0].key, "b");
    }

    #[tokio::test]
    async fn only_unknown_publications_are_resolved_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite")).await.unwrap();
        let now = Utc::now();
        let c = claim("u", None, 9);
        ledger.claim(&c, now).await.unwrap();
        ledger
            .settle(
                "u",
                &Outcome::Unknown {
                    error: "timeout".into(),
                },
                now,
            )
            .await
            .unwrap();
        let found = Outcome::Published {
            remote_id: "resolved by hand: https://m.example/1".into(),
            url: None,
        };
        ledger.resolve("u", &found, now).await.unwrap();
        let record = ledger.get("u").await.unwrap().unwrap();
        assert_eq!(record.state, State::Published);
        let again = ledger
            .resolve("u", &found, now)
            .await
            .unwrap_err()
            .to_string();
        assert!(again.contains("is published, not unknown"), "{again}");
        let missing = ledger
            .resolve("nope", &found, now)
            .await
            .unwrap_err()
            .to_string();
        assert!(missing.contains("no publication nope"), "{missing}");
    }

    /// A ledger file made by an older version: `schema` with `rows`, at
    /// `user_version`.
    async fn old_ledger(path: &Path, schema: String, rows: &str, user_version: i64) {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(schema))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO publications VALUES {rows}"
        )))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA user_version = {user_version}"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }

    /// Version 2's table: no attempt_at and ambiguous columns.
    fn v2_schema() -> String {
        let v2 = SCHEMA[0].replace(
            ",\n        attempt_at TEXT,\n        ambiguous INTEGER NOT NULL DEFAULT 0",
            "",
        );
        assert!(!v2.contains("ambiguous"));
        v2
    }

    /// Version 1's table: no fingerprint column either.
    fn v1_schema() -> String {
        let v1 = v2_schema().replace(",\n        fingerprint TEXT", "");
        assert!(!v1.contains("fingerprint"));
        v1
    }

    #[tokio::test]
    async fn a_ledger_from_before_schema_versions_keeps_its_rows_and_takes_new_states() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let v0 = v1_schema().replace(",'missed','frozen'", "");
        old_ledger(&path, v0, "('k','p','c',NULL,'2026-11-24T14:00:00.000Z','published','h',NULL,'r',NULL,1,NULL,'2026-11-24T14:00:00.000Z','2026-11-24T14:00:00.000Z')", 0).await;
        let ledger = Ledger::open(&path).await.unwrap();
        assert_eq!(
            ledger.get("k").await.unwrap().unwrap().state,
            State::Published
        );
        let c = claim("m", None, 9);
        ledger
            .record_unsent(&c, State::Missed, "late", Utc::now())
            .await
            .unwrap();
        assert_eq!(ledger.get("m").await.unwrap().unwrap().state, State::Missed);
    }

    #[tokio::test]
    async fn a_version_2_ledger_counts_its_sending_rows_as_possibly_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        let row = |key: &str, state: &str| {
            format!(
                "('{key}','p','c',NULL,'2026-11-24T14:00:00.000Z','{state}','h',NULL,NULL,NULL,1,NULL,'2026-11-24T14:00:00.000Z','2026-11-24T14:00:05.000Z','f')"
            )
        };
        let rows = format!("{},{}", row("s", "sending"), row("p", "published"));
        old_ledger(&path, v2_schema(), &rows, 2).await;
        let ledger = Ledger::open(&path).await.unwrap();
        let sending = ledger.get("s").await.unwrap().unwrap();
        assert!(
            sending.ambiguous,
            "an older version's attempt may have reached the platform"
        );
        assert_eq!(sending.attempt_at, Some(sending.updated_at));
        assert!(!ledger.get("p").await.unwrap().unwrap().ambiguous);
        let refused = ledger.release("s").await.unwrap_err().to_string();
        assert!(
            refused.contains("may have reached the platform"),
            "{refused}"
        );
        let failed = Outcome::Failed { error: "x".into() };
        assert!(ledger.settle("s", &failed, Utc::now()).await.is_err());
        ledger.release_absent("s").await.unwrap();
        assert!(ledger.get("s").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_ambiguous_claim_is_neither_released_nor_failed_but_may_become_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite")).await.unwrap();
        let now = Utc::now();
        let c = claim("k", Some("tips"), 9);
        ledger.claim(&c, now).await.unwrap();
        let first = ledger.get("k").await.unwrap().unwrap();
        assert_eq!(
            (first.ambiguous, first.attempt_at),
            (false, Some(first.created_at))
        );
        let later = now + chrono::TimeDelta::seconds(5);
        ledger.bump_attempts("k", later).await.unwrap();
        ledger.mark_ambiguous("k").await.unwrap();
        let record = ledger.get("k").await.unwrap().unwrap();
        assert_eq!(record.attempts, 2);
        assert!(record.ambiguous);
        assert_eq!(
            record.attempt_at.map(|t| t.timestamp()),
            Some(later.timestamp())
        );
        assert!(ledger.release("k").await.is_err());
        let failed = Outcome::Failed {
            error: "401".into(),
        };
        let refused = ledger
            .settle("k", &failed, now)
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("cannot become failed"), "{refused}");
        // The view keeps the tip from being picked again for the channel.
        let view = ledger.view().await.unwrap();
        assert!(
            view.unsettled
                .contains(&("feed".to_string(), "tips/a".to_string()))
        );
        let unknown = Outcome::Unknown {
            error: "no read-back".into(),
        };
        ledger.settle("k", &unknown, now).await.unwrap();
        assert_eq!(
            ledger.get("k").await.unwrap().unwrap().state,
            State::Unknown
        );
        assert!(ledger.view().await.unwrap().unsettled.is_empty());
    }

    #[tokio::test]
    async fn a_version_1_ledger_gains_the_fingerprint_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        old_ledger(&path, v1_schema(), "('k','p','c',NULL,'2026-11-24T14:00:00.000Z','sending','h',NULL,NULL,NULL,1,NULL,'2026-11-24T14:00:00.000Z','2026-11-24T14:00:00.000Z')", 1).await;
        let ledger = Ledger::open(&path).await.unwrap();
        let old = ledger.get("k").await.unwrap().unwrap();
        assert_eq!((old.state, old.fingerprint), (State::Sending, None));
        let mut c = claim("n", None, 9);
        c.fingerprint = Some("f00d".into());
        ledger.claim(&c, Utc::now()).await.unwrap();
        let new = ledger.get("n").await.unwrap().unwrap();
        assert_eq!(new.fingerprint.as_deref(), Some("f00d"));
    }
}
