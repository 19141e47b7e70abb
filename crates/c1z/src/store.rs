//! `C1zStore`: an open working copy of a c1z. Opening decompresses the file
//! into a working dir (see `workdir`), all reads and writes go to that SQLite
//! database, and `save` writes a new c1z atomically.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_proto::ids::resource_key;
use baton_proto::v2::{Entitlement, Grant, GrantExpandable, Resource, ResourceId, ResourceType};
use rusqlite::Connection;

use crate::cleanup;
use crate::db::{self, Mode};
use crate::envelope::decode_file;
use crate::error::{io_err, Error, Result, SqlContext};
use crate::options::{CleanupPolicy, OpenOptions};
use crate::read::{self, GrantFilter, Page, Query};
use crate::save::{write_c1z, SaveInfo};
use crate::schema::{ENTITLEMENTS, GRANTS, RESOURCES, RESOURCE_TYPES};
use crate::stats::{self, SyncStats};
use crate::sync_run::{self, SyncRun, SyncType};
use crate::timefmt::now_go_timestamp;
use crate::workdir::{self, Fingerprint, WorkDir};
use crate::write::{self, WriteBatch};

/// An open c1z: a working SQLite copy plus what is needed to save it back.
///
/// Dropping an ephemeral store (from [`C1zStore::open`]) deletes its working
/// copy; dropping a resumable one (from [`C1zStore::open_resumable`]) keeps it
/// for the next run and releases the lock.
pub struct C1zStore {
    // Declared first so the connection closes before the dir is removed.
    conn: Option<Connection>,
    work: Option<WorkDir>,
    source: PathBuf,
    read_only: bool,
    running: Option<String>,
    /// Rows written since the open transaction began, and when it began.
    pending_rows: usize,
    pending_since: Instant,
}

/// Group commit: batches are applied inside one open transaction (each in a
/// savepoint, so a failed batch undoes only itself) and committed when this
/// many rows or this much time has accumulated. Committing every page would
/// rewrite the same index pages to the rollback journal again and again; a
/// kill loses at most one window, and because a batch and its checkpoint
/// always land in the same transaction, the committed state is consistent.
const COMMIT_EVERY_ROWS: usize = 100_000;
/// Short enough that a sync killed mid-way loses little when it resumes.
const COMMIT_EVERY: Duration = Duration::from_secs(1);

impl std::fmt::Debug for C1zStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("C1zStore")
            .field("source", &self.source)
            .field(
                "working_dir",
                &self.work.as_ref().map(|w| w.path().to_owned()),
            )
            .field("read_only", &self.read_only)
            .field("running", &self.running)
            .finish()
    }
}

impl C1zStore {
    /// Ephemeral working copy: decompresses `path` (a missing or empty file
    /// means a new, empty c1z) into a fresh temp dir, removed on drop and on error.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<C1zStore> {
        let work = WorkDir::ephemeral(&opts.base_dir())?;
        // On any error below, `work` is dropped and the temp dir removed.
        let db_path = work.db_path();
        decode_file(path, &db_path, opts.max_decoded_size)?;
        let mode = if opts.read_only {
            Mode::ReadOnly
        } else {
            Mode::Ephemeral
        };
        let conn = db::open(&db_path, path, mode)?;
        tracing::debug!(path = %path.display(), working_dir = %work.path().display(), "c1z: opened");
        Ok(Self::new(conn, work, path, opts.read_only))
    }

    /// Resumable working copy, for syncs that may be killed.
    ///
    /// The working database lives in `<temp dir>/baton-c1z-<sha256 of the
    /// absolute path>/`, guarded by an exclusive lock (a second process gets
    /// [`Error::Locked`]). If a database there was made from this same version
    /// of `path` (same length, mtime and inode) and opens cleanly, it is reused,
    /// so an unfinished sync can resume; otherwise it is rebuilt from `path`.
    /// It is removed by a successful [`save`](Self::save) or by
    /// [`discard`](Self::discard), and kept when the store is just dropped.
    pub fn open_resumable(path: &Path, opts: &OpenOptions) -> Result<C1zStore> {
        let target = workdir::absolute_target(path)?;
        let dir = workdir::resumable_dir(&opts.base_dir(), &target);
        let lock = workdir::lock_resumable(&dir, path)?;
        let work = WorkDir::Resumable(lock);
        let db_path = work.db_path();
        let current = Fingerprint::of(&target)?;

        let mode = if opts.read_only {
            Mode::ReadOnly
        } else {
            Mode::Resumable
        };
        if Fingerprint::recorded(&dir).as_ref() == Some(&current) && db_path.exists() {
            match db::open(&db_path, path, mode) {
                Ok(conn) => {
                    tracing::info!(path = %path.display(), working_dir = %dir.display(), "c1z: reusing the working copy of an earlier run");
                    return Ok(Self::new(conn, work, path, opts.read_only));
                }
                Err(e) => {
                    tracing::warn!(error = %e, working_dir = %dir.display(), "c1z: working copy unusable, rebuilding it");
                }
            }
        }

        Fingerprint::forget(&dir)?;
        workdir::remove_db_files(&dir)?;
        let built = decode_file(&target, &db_path, opts.max_decoded_size)
            .and_then(|_| db::open(&db_path, path, mode))
            .and_then(|conn| {
                // The fingerprint is the "complete" marker: it goes last, after
                // the database is durable, so a crash before it means "rebuild".
                std::fs::File::open(&db_path)
                    .and_then(|f| f.sync_all())
                    .map_err(io_err("fsync", &db_path))?;
                current.record(&dir)?;
                Ok(conn)
            });
        let conn = match built {
            Ok(conn) => conn,
            Err(e) => {
                // Nothing resumable is left: remove the whole dir (we hold its lock).
                if let Err(cleanup) = work.remove() {
                    tracing::warn!(error = %cleanup, "c1z: could not remove a half-built working copy");
                }
                return Err(e);
            }
        };
        tracing::debug!(path = %path.display(), working_dir = %dir.display(), "c1z: opened resumable working copy");
        Ok(Self::new(conn, work, path, opts.read_only))
    }

    fn new(conn: Connection, work: WorkDir, source: &Path, read_only: bool) -> C1zStore {
        C1zStore {
            conn: Some(conn),
            work: Some(work),
            source: source.to_owned(),
            read_only,
            running: None,
            pending_rows: 0,
            pending_since: Instant::now(),
        }
    }

    /// Deletes the working copy without saving (for a resumable store: forget
    /// the unfinished sync).
    pub fn discard(mut self) -> Result<()> {
        drop(self.conn.take());
        match self.work.take() {
            Some(work) => work.remove(),
            None => Ok(()),
        }
    }

    /// The c1z this store was opened from.
    pub fn source_path(&self) -> &Path {
        &self.source
    }

    /// The working directory holding the SQLite database.
    pub fn working_dir(&self) -> Option<&Path> {
        self.work.as_ref().map(|w| w.path())
    }

    /// Whether this store keeps its working copy for a later run.
    pub fn is_resumable(&self) -> bool {
        self.work.as_ref().is_some_and(WorkDir::is_resumable)
    }

    /// The sync started or resumed through this store and not yet ended.
    pub fn running_sync(&self) -> Option<&str> {
        self.running.as_deref()
    }

    fn conn(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument("the c1z store is closed".to_owned()))
    }

    fn writable(&self, op: &'static str) -> Result<&Connection> {
        if self.read_only {
            return Err(Error::ReadOnly { op });
        }
        self.conn()
    }

    /// Runs `f` in a savepoint of the open (or a new) transaction: all of it
    /// applies, or none of it. The transaction stays open for group commit.
    fn atomically<T>(
        &mut self,
        op: &'static str,
        rows: usize,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        if self.read_only {
            return Err(Error::ReadOnly { op });
        }
        // Borrow the field, not `self`, so the counters below stay assignable.
        let conn = self
            .conn
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument("the c1z store is closed".to_owned()))?;
        if conn.is_autocommit() {
            conn.execute_batch("begin immediate")
                .ctx(|| format!("starting a transaction to {op}"))?;
            self.pending_rows = 0;
            self.pending_since = Instant::now();
        }
        conn.execute_batch("savepoint c1z_batch")
            .ctx(|| format!("starting a savepoint to {op}"))?;
        match f(conn) {
            Ok(value) => {
                conn.execute_batch("release c1z_batch")
                    .ctx(|| format!("releasing the savepoint of {op}"))?;
                self.pending_rows += rows;
                Ok(value)
            }
            Err(e) => {
                if let Err(undo) = conn.execute_batch("rollback to c1z_batch; release c1z_batch") {
                    tracing::warn!(error = %undo, "could not undo a failed batch");
                }
                Err(e)
            }
        }
    }

    /// Commits when the group-commit window is full.
    fn maybe_commit(&mut self) -> Result<()> {
        if self.pending_rows >= COMMIT_EVERY_ROWS || self.pending_since.elapsed() >= COMMIT_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits everything written so far (writes are otherwise group-committed
    /// every 100,000 rows or 5 seconds). Saving and ending a sync flush too.
    pub fn flush(&mut self) -> Result<()> {
        let Some(conn) = self.conn.as_ref() else {
            return Ok(());
        };
        if !conn.is_autocommit() {
            conn.execute_batch("commit")
                .ctx(|| "committing writes".to_owned())?;
            tracing::trace!(rows = self.pending_rows, "c1z: committed");
        }
        self.pending_rows = 0;
        self.pending_since = Instant::now();
        Ok(())
    }

    // ---- sync runs ------------------------------------------------------

    /// The latest unfinished full sync started less than 7 days ago.
    pub fn resumable_sync(&self) -> Result<Option<SyncRun>> {
        sync_run::resumable(self.conn()?)
    }

    /// Inserts a new full sync (ksuid id, `grants_backfilled=1`, empty token).
    pub fn start_sync(&mut self) -> Result<SyncRun> {
        let run = self.atomically("start a sync", 0, sync_run::insert_new)?;
        self.flush()?;
        self.running = Some(run.sync_id.clone());
        Ok(run)
    }

    /// Resumes the resumable sync if there is one (`true`), else starts one.
    pub fn start_or_resume_sync(&mut self) -> Result<(SyncRun, bool)> {
        self.writable("start a sync")?;
        if let Some(run) = self.resumable_sync()? {
            tracing::info!(sync_id = %run.sync_id, started_at = %run.started_at, "resuming unfinished sync");
            self.running = Some(run.sync_id.clone());
            return Ok((run, true));
        }
        Ok((self.start_sync()?, false))
    }

    /// Stores the checkpoint token of a running sync.
    /// Like a batch, it is group-committed with the writes before it.
    pub fn checkpoint(&mut self, sync_id: &str, sync_token: &str) -> Result<()> {
        self.atomically("checkpoint a sync", 0, |conn| {
            sync_run::set_token(conn, sync_id, sync_token)
        })?;
        self.maybe_commit()
    }

    /// Ends a running sync: sets `ended_at`, computes and stores its stats.
    pub fn end_sync(&mut self, sync_id: &str) -> Result<SyncStats> {
        let stats = self.atomically("end a sync", 0, |conn| {
            sync_run::require_running(conn, sync_id)?;
            let stats = stats::compute(conn, sync_id)?;
            sync_run::mark_ended(conn, sync_id, &stats)?;
            Ok(stats)
        })?;
        self.flush()?;
        if self.running.as_deref() == Some(sync_id) {
            self.running = None;
        }
        tracing::info!(
            sync_id,
            resources = stats.resources,
            entitlements = stats.entitlements,
            grants = stats.grants,
            "sync ended"
        );
        Ok(stats)
    }

    /// Keeps the newest `keep` finished full syncs (and the running one), deletes
    /// older syncs' rows from every table, then VACUUMs (see [`Self::prune_syncs`]).
    pub fn cleanup(&mut self, keep: usize) -> Result<()> {
        self.prune_syncs(keep).map(|_| ())
    }

    /// [`cleanup`](Self::cleanup), returning the deleted sync ids. Deleted: full
    /// syncs beyond the newest `keep`; other finished syncs that ended before the
    /// oldest kept full sync started; unfinished syncs too old to resume (never
    /// the one this store is running). `keep` must be at least 1.
    pub fn prune_syncs(&mut self, keep: usize) -> Result<Vec<String>> {
        self.writable("clean up old syncs")?;
        // VACUUM cannot run inside a transaction.
        self.flush()?;
        cleanup::run(
            self.writable("clean up old syncs")?,
            keep,
            self.running.as_deref(),
        )
    }

    /// [`cleanup`](Self::cleanup) as `policy` says (nothing when `skip`).
    pub fn apply_cleanup(&mut self, policy: &CleanupPolicy) -> Result<()> {
        if policy.skip {
            tracing::info!("BATON_SKIP_CLEANUP is set, skipping cleanup of old syncs");
            return Ok(());
        }
        self.cleanup(policy.keep)
    }

    /// The latest finished sync, of any type or of `sync_type`.
    pub fn latest_finished_sync(&self, sync_type: Option<SyncType>) -> Result<Option<SyncRun>> {
        sync_run::latest_finished(self.conn()?, sync_type)
    }

    pub fn sync_run(&self, sync_id: &str) -> Result<Option<SyncRun>> {
        sync_run::get(self.conn()?, sync_id)
    }

    /// All sync runs, oldest first.
    pub fn list_sync_runs(&self) -> Result<Vec<SyncRun>> {
        sync_run::list(self.conn()?)
    }

    // ---- writes ---------------------------------------------------------

    pub fn put_resource_types(&mut self, sync_id: &str, items: &[ResourceType]) -> Result<()> {
        self.write_batch_parts(sync_id, items, &[], &[], &[], None)
    }

    pub fn put_resources(&mut self, sync_id: &str, items: &[Resource]) -> Result<()> {
        self.write_batch_parts(sync_id, &[], items, &[], &[], None)
    }

    pub fn put_entitlements(&mut self, sync_id: &str, items: &[Entitlement]) -> Result<()> {
        self.write_batch_parts(sync_id, &[], &[], items, &[], None)
    }

    /// Stores grants; a GrantExpandable annotation moves to the `expansion` column.
    pub fn put_grants(&mut self, sync_id: &str, items: &[Grant]) -> Result<()> {
        self.write_batch_parts(sync_id, &[], &[], &[], items, None)
    }

    /// Writes all of `batch` and, when given, the checkpoint token in one
    /// transaction, so a page of results and "this page is done" commit together.
    pub fn write_batch(
        &mut self,
        sync_id: &str,
        batch: &WriteBatch,
        checkpoint: Option<&str>,
    ) -> Result<()> {
        self.write_batch_parts(
            sync_id,
            &batch.resource_types,
            &batch.resources,
            &batch.entitlements,
            &batch.grants,
            checkpoint,
        )
    }

    fn write_batch_parts(
        &mut self,
        sync_id: &str,
        resource_types: &[ResourceType],
        resources: &[Resource],
        entitlements: &[Entitlement],
        grants: &[Grant],
        checkpoint: Option<&str>,
    ) -> Result<()> {
        let parts = write::Parts {
            resource_types,
            resources,
            entitlements,
            grants,
        };
        let rows = resource_types.len() + resources.len() + entitlements.len() + grants.len();
        self.atomically("write sync data", rows, |conn| {
            sync_run::require_running(conn, sync_id)?;
            write::write_parts(conn, sync_id, &now_go_timestamp(), &parts)?;
            if let Some(token) = checkpoint {
                sync_run::set_token(conn, sync_id, token)?;
            }
            Ok(())
        })?;
        self.maybe_commit()
    }

    // ---- reads ----------------------------------------------------------

    pub fn get_resource_type(&self, sync_id: &str, id: &str) -> Result<Option<ResourceType>> {
        read::get(self.conn()?, RESOURCE_TYPES, "resource type", sync_id, id)
    }

    pub fn get_resource(&self, sync_id: &str, id: &ResourceId) -> Result<Option<Resource>> {
        read::get(
            self.conn()?,
            RESOURCES,
            "resource",
            sync_id,
            &resource_key(id),
        )
    }

    /// Whether the resource is stored in the sync, without decoding it.
    pub fn resource_exists(&self, sync_id: &str, id: &ResourceId) -> Result<bool> {
        read::resource_exists(self.conn()?, sync_id, id)
    }

    pub fn get_entitlement(&self, sync_id: &str, id: &str) -> Result<Option<Entitlement>> {
        read::get(self.conn()?, ENTITLEMENTS, "entitlement", sync_id, id)
    }

    pub fn get_grant(&self, sync_id: &str, id: &str) -> Result<Option<Grant>> {
        read::get(self.conn()?, GRANTS, "grant", sync_id, id)
    }

    pub fn list_resource_types(&self, sync_id: &str) -> Result<Vec<ResourceType>> {
        read::collect(self.conn()?, &Query::resource_types(sync_id))
    }

    /// Resources of a sync, optionally of one type and/or under one parent.
    pub fn list_resources(
        &self,
        sync_id: &str,
        resource_type: Option<&str>,
        parent: Option<&ResourceId>,
    ) -> Result<Vec<Resource>> {
        read::collect(
            self.conn()?,
            &Query::resources(sync_id, resource_type, parent),
        )
    }

    /// Entitlements of a sync, optionally of one resource.
    pub fn list_entitlements(
        &self,
        sync_id: &str,
        resource: Option<&ResourceId>,
    ) -> Result<Vec<Entitlement>> {
        read::collect(self.conn()?, &Query::entitlements(sync_id, resource))
    }

    pub fn list_grants(&self, sync_id: &str, filter: &GrantFilter) -> Result<Vec<Grant>> {
        read::collect(self.conn()?, &Query::grants(sync_id, filter))
    }

    /// Streams resource types to `f` in insertion order.
    pub fn for_each_resource_type<E: From<Error>>(
        &self,
        sync_id: &str,
        f: impl FnMut(ResourceType) -> Result<(), E>,
    ) -> Result<(), E> {
        read::for_each(self.conn()?, &Query::resource_types(sync_id), f)
    }

    /// Streams resources to `f` without loading them all.
    pub fn for_each_resource<E: From<Error>>(
        &self,
        sync_id: &str,
        resource_type: Option<&str>,
        parent: Option<&ResourceId>,
        f: impl FnMut(Resource) -> Result<(), E>,
    ) -> Result<(), E> {
        read::for_each(
            self.conn()?,
            &Query::resources(sync_id, resource_type, parent),
            f,
        )
    }

    pub fn for_each_entitlement<E: From<Error>>(
        &self,
        sync_id: &str,
        resource: Option<&ResourceId>,
        f: impl FnMut(Entitlement) -> Result<(), E>,
    ) -> Result<(), E> {
        read::for_each(self.conn()?, &Query::entitlements(sync_id, resource), f)
    }

    pub fn for_each_grant<E: From<Error>>(
        &self,
        sync_id: &str,
        filter: &GrantFilter,
        f: impl FnMut(Grant) -> Result<(), E>,
    ) -> Result<(), E> {
        read::for_each(self.conn()?, &Query::grants(sync_id, filter), f)
    }

    /// Grants whose GrantExpandable names at least one entitlement, with it decoded.
    pub fn for_each_expandable_grant<E: From<Error>>(
        &self,
        sync_id: &str,
        f: impl FnMut(Grant, GrantExpandable) -> Result<(), E>,
    ) -> Result<(), E> {
        read::for_each_expandable(self.conn()?, sync_id, f)
    }

    /// A keyset page of resources: pass `page.next` as `after` for the next one.
    pub fn list_resources_page(
        &self,
        sync_id: &str,
        resource_type: Option<&str>,
        parent: Option<&ResourceId>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page<Resource>> {
        read::page(
            self.conn()?,
            &Query::resources(sync_id, resource_type, parent),
            after,
            limit,
        )
    }

    /// Up to `limit` resources of a sync stored after row `after_row`, with
    /// their row ids, in row order. Rows keep their id when upserted, so a
    /// row id marks "everything stored before this" for a sync in progress.
    pub fn list_resources_after_row(
        &self,
        sync_id: &str,
        after_row: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Resource)>> {
        read::rows_after(
            self.conn()?,
            &Query::resources(sync_id, None, None),
            after_row,
            limit,
        )
    }

    pub fn list_entitlements_page(
        &self,
        sync_id: &str,
        resource: Option<&ResourceId>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page<Entitlement>> {
        read::page(
            self.conn()?,
            &Query::entitlements(sync_id, resource),
            after,
            limit,
        )
    }

    pub fn list_grants_page(
        &self,
        sync_id: &str,
        filter: &GrantFilter,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page<Grant>> {
        read::page(self.conn()?, &Query::grants(sync_id, filter), after, limit)
    }

    /// Row counts of a sync: the stored stats of a finished sync when they are
    /// usable (as baton-sdk, recomputed when missing or zero), else counted now.
    pub fn stats(&self, sync_id: &str) -> Result<SyncStats> {
        let conn = self.conn()?;
        let run = sync_run::get(conn, sync_id)?.ok_or_else(|| Error::SyncNotFound {
            sync_id: sync_id.to_owned(),
        })?;
        if let Some(stored) = run
            .stats
            .filter(|s| run.ended_at.is_some() && s.resource_types != 0)
        {
            return Ok(stored);
        }
        let computed = stats::compute(conn, sync_id)?;
        if run.ended_at.is_some() && !self.read_only {
            sync_run::store_stats(conn, sync_id, &computed)?;
        }
        Ok(computed)
    }

    // ---- save -----------------------------------------------------------

    /// Writes the c1z atomically (`C1ZF\0` + one zstd frame of the database)
    /// to `path`, mode 0600, then deletes the working copy.
    pub fn save(mut self, path: &Path) -> Result<SaveInfo> {
        let info = self.save_copy(path)?;
        drop(self.conn.take());
        if let Some(work) = self.work.take() {
            // The c1z is saved; failing to tidy the temp dir must not say otherwise.
            if let Err(e) = work.remove() {
                tracing::warn!(error = %e, "c1z saved, but its working copy could not be removed");
            }
        }
        Ok(info)
    }

    /// Commits, then writes the c1z atomically to `path` and keeps the store
    /// open (a snapshot).
    pub fn save_copy(&mut self, path: &Path) -> Result<SaveInfo> {
        if self.read_only {
            return Err(Error::ReadOnly { op: "save" });
        }
        self.flush()?;
        let db_path = self
            .work
            .as_ref()
            .map(WorkDir::db_path)
            .ok_or_else(|| Error::InvalidArgument("the c1z store is closed".to_owned()))?;
        write_c1z(&db_path, path)
    }
}

impl Drop for C1zStore {
    /// A resumable store keeps what was written (that is what resuming needs);
    /// an ephemeral one is thrown away, so its open transaction just rolls back.
    fn drop(&mut self) {
        if self.is_resumable() && !self.read_only {
            if let Err(e) = self.flush() {
                tracing::warn!(error = %e, "c1z: could not commit the last writes of the working copy");
            }
        }
    }
}
