//! The coordinator of a sync: schedules connector calls concurrently, turns
//! their results into store writes with checkpoints, and decides when the
//! sync is complete.
//!
//! Order of work, as in baton-sdk: resource types, then resources (following
//! `ChildResourceType` annotations), entitlements and grants. Unlike the Go
//! SDK the phases overlap: a resource's entitlements and grants are listed
//! as soon as it is stored, so the API budget is used while long resource
//! listings are still running. Which resources still need their entitlements
//! and grants is tracked by a cursor over the store's row ids, so memory stays
//! bounded by the scheduling window, not by the tenant size.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_proto::find_annotation;
use baton_proto::ids::resource_id;
use baton_proto::v2::resource::CreationSource;
use baton_proto::v2::resource_type::Trait;
use baton_proto::v2::{
    AppTrait, ChildResourceType, Entitlement, Grant, GroupTrait, Resource, ResourceId,
    ResourceType, RoleTrait, SkipEntitlements, SkipEntitlementsAndGrants, SkipGrants, UserTrait,
};
use prost::Name;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::checkpoint::{Checkpoint, ListingState, WorkStage, WorkState};
use super::progress::{Phase, SyncProgress};
use super::writer::{Command, Records, WriterResult};
use super::{SyncError, SyncOptions};
use crate::connector::{Page, ResourcePage, ResourceSyncer};
use crate::error::{ConnectorError, ErrorCode};

/// What a finished connector call produced.
enum TaskOutput {
    Listing {
        id: u64,
        result: Result<ResourcePage, ConnectorError>,
    },
    Entitlements {
        row: i64,
        result: Result<Page<Entitlement>, ConnectorError>,
    },
    Grants {
        row: i64,
        result: Result<Page<Grant>, ConnectorError>,
    },
}

struct Listing {
    state: ListingState,
    active: bool,
    attempts: u32,
}

struct Work {
    state: WorkState,
    resource: Arc<Resource>,
    active: bool,
    attempts: u32,
}

pub(crate) struct Engine<'a> {
    pub syncers: HashMap<String, Arc<dyn ResourceSyncer>>,
    pub types: HashMap<String, ResourceType>,
    pub writer: mpsc::Sender<Command>,
    pub options: &'a SyncOptions,
    pub progress: Arc<SyncProgress>,

    resource_types_done: bool,
    listings: BTreeMap<u64, Listing>,
    next_listing_id: u64,
    works: BTreeMap<i64, Work>,
    done_after_cursor: BTreeSet<i64>,
    cursor: i64,
    max_pulled: i64,
    more_rows_possible: bool,
    warnings: Vec<String>,
    pending: Records,
    dirty: bool,
    last_flush: Instant,
    tasks: JoinSet<TaskOutput>,
}

impl<'a> Engine<'a> {
    pub fn new(
        syncers: HashMap<String, Arc<dyn ResourceSyncer>>,
        writer: mpsc::Sender<Command>,
        options: &'a SyncOptions,
        progress: Arc<SyncProgress>,
    ) -> Self {
        let types = syncers
            .iter()
            .map(|(id, s)| (id.clone(), s.resource_type()))
            .collect();
        Self {
            syncers,
            types,
            writer,
            options,
            progress,
            resource_types_done: false,
            listings: BTreeMap::new(),
            next_listing_id: 0,
            works: BTreeMap::new(),
            done_after_cursor: BTreeSet::new(),
            cursor: 0,
            max_pulled: 0,
            more_rows_possible: true,
            warnings: Vec::new(),
            pending: Records::default(),
            dirty: false,
            last_flush: Instant::now(),
            tasks: JoinSet::new(),
        }
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Restores the state of an interrupted sync.
    pub async fn restore(&mut self, checkpoint: Checkpoint) -> Result<(), SyncError> {
        self.resource_types_done = checkpoint.resource_types_done;
        for state in checkpoint.listings {
            self.add_listing(state);
        }
        self.cursor = checkpoint.cursor;
        self.max_pulled = checkpoint.cursor;
        self.done_after_cursor = checkpoint.done_after_cursor.into_iter().collect();
        if let Some(&max_done) = self.done_after_cursor.iter().next_back() {
            self.max_pulled = self.max_pulled.max(max_done);
        }
        for state in checkpoint.works {
            let id = resource_id(&state.resource_type, &state.resource_id);
            let resource = self.get_resource(id).await?.ok_or_else(|| {
                SyncError::Store(format!(
                    "the checkpoint names resource {}:{} but it is not in the sync; delete the working copy to start over",
                    state.resource_type, state.resource_id
                ))
            })?;
            self.max_pulled = self.max_pulled.max(state.row);
            self.works.insert(
                state.row,
                Work {
                    state,
                    resource: Arc::new(resource),
                    active: false,
                    attempts: 0,
                },
            );
        }
        self.warnings = checkpoint.warnings;
        Ok(())
    }

    fn checkpoint(&self) -> Checkpoint {
        let mut cp = Checkpoint::new();
        cp.resource_types_done = self.resource_types_done;
        cp.listings = self.listings.values().map(|l| l.state.clone()).collect();
        cp.cursor = self.cursor;
        cp.works = self.works.values().map(|w| w.state.clone()).collect();
        cp.done_after_cursor = self.done_after_cursor.iter().copied().collect();
        cp.warnings = self.warnings.clone();
        cp
    }

    fn add_listing(&mut self, state: ListingState) {
        let id = self.next_listing_id;
        self.next_listing_id += 1;
        self.listings.insert(
            id,
            Listing {
                state,
                active: false,
                attempts: 0,
            },
        );
    }

    /// Runs the sync to completion (or the first fatal error).
    pub async fn run(&mut self) -> Result<(), SyncError> {
        self.progress.set_phase(Phase::Syncing);
        if !self.resource_types_done {
            self.store_resource_types().await?;
        }
        let result = self.run_loop().await;
        if result.is_err() {
            // In-flight calls are abandoned; their pages were never committed,
            // so a resumed sync fetches them again.
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        result
    }

    async fn store_resource_types(&mut self) -> Result<(), SyncError> {
        let mut types: Vec<ResourceType> = self.types.values().cloned().collect();
        types.sort_by(|a, b| a.id.cmp(&b.id));
        for rt in &types {
            self.add_listing(ListingState {
                resource_type: rt.id.clone(),
                parent_type: None,
                parent_id: None,
                page_token: None,
            });
        }
        self.resource_types_done = true;
        let (done, done_rx) = oneshot::channel();
        self.send(Command::ResourceTypes {
            types,
            checkpoint: self.checkpoint().to_token(),
            done,
        })
        .await?;
        recv(done_rx).await?;
        Ok(())
    }

    async fn run_loop(&mut self) -> Result<(), SyncError> {
        let mut flush_tick = tokio::time::interval(self.options.flush_interval);
        flush_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if self.options.cancel.is_cancelled() {
                self.flush().await?;
                return Err(SyncError::Cancelled);
            }
            self.schedule().await?;
            if self.tasks.is_empty() {
                if self.listings.is_empty() && self.works.is_empty() && !self.more_rows_possible {
                    self.flush().await?;
                    return Ok(());
                }
                // Only newly stored rows can remain; the next round pulls them.
                continue;
            }
            tokio::select! {
                joined = self.tasks.join_next() => {
                    match joined {
                        Some(Ok(output)) => self.handle(output).await?,
                        Some(Err(join_error)) => {
                            return Err(SyncError::Internal(format!("a connector task failed: {join_error}")));
                        }
                        None => {}
                    }
                }
                _ = flush_tick.tick() => {
                    if self.dirty && self.last_flush.elapsed() >= self.options.flush_interval {
                        self.flush().await?;
                    }
                }
                _ = self.options.cancel.cancelled() => {}
            }
            if self.pending.len() >= self.options.flush_rows {
                self.flush().await?;
            }
        }
    }

    /// Starts connector calls until the concurrency limit is reached.
    async fn schedule(&mut self) -> Result<(), SyncError> {
        while self.tasks.len() < self.options.max_concurrency {
            if let Some(id) = self
                .listings
                .iter()
                .find(|(_, l)| !l.active)
                .map(|(id, _)| *id)
            {
                self.spawn_listing(id)?;
                continue;
            }
            if let Some(row) = self
                .works
                .iter()
                .find(|(_, w)| !w.active)
                .map(|(row, _)| *row)
            {
                self.spawn_work(row);
                continue;
            }
            let in_window = self.works.len() + self.done_after_cursor.len();
            if self.more_rows_possible && in_window < self.options.window {
                let pulled = self.pull_rows(self.options.window - in_window).await?;
                if pulled > 0 {
                    continue;
                }
            }
            break;
        }
        self.progress
            .set_pending_resources((self.works.len()) as u64);
        Ok(())
    }

    fn spawn_listing(&mut self, id: u64) -> Result<(), SyncError> {
        let Some(listing) = self.listings.get_mut(&id) else {
            return Ok(());
        };
        listing.active = true;
        let state = listing.state.clone();
        let delay = retry_delay(listing.attempts);
        let syncer = self
            .syncers
            .get(&state.resource_type)
            .cloned()
            .ok_or_else(|| {
                SyncError::Internal(format!(
                    "no syncer for resource type {:?}",
                    state.resource_type
                ))
            })?;
        self.tasks.spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let parent = match (&state.parent_type, &state.parent_id) {
                (Some(t), Some(i)) => Some(resource_id(t, i)),
                _ => None,
            };
            let result = syncer
                .list_resources(parent.as_ref(), state.page_token.as_deref())
                .await;
            TaskOutput::Listing { id, result }
        });
        Ok(())
    }

    fn spawn_work(&mut self, row: i64) {
        let Some(work) = self.works.get_mut(&row) else {
            return;
        };
        work.active = true;
        let delay = retry_delay(work.attempts);
        let stage = work.state.stage;
        let token = work.state.page_token.clone();
        let resource = Arc::clone(&work.resource);
        let Some(syncer) = self.syncers.get(&work.state.resource_type).cloned() else {
            // A row of a type this connector does not sync: nothing to list.
            self.mark_done(row);
            return;
        };
        self.tasks.spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match stage {
                WorkStage::Entitlements => TaskOutput::Entitlements {
                    row,
                    result: syncer.list_entitlements(&resource, token.as_deref()).await,
                },
                WorkStage::Grants => TaskOutput::Grants {
                    row,
                    result: syncer.list_grants(&resource, token.as_deref()).await,
                },
            }
        });
    }

    /// Takes newly stored resources into the window for entitlement and grant listing.
    async fn pull_rows(&mut self, limit: usize) -> Result<usize, SyncError> {
        let (reply, reply_rx) = oneshot::channel();
        self.send(Command::ResourcesAfter {
            after_row: self.max_pulled,
            limit,
            reply,
        })
        .await?;
        let rows = recv(reply_rx).await?;
        if rows.len() < limit {
            self.more_rows_possible = false;
        }
        let pulled = rows.len();
        for (row, resource) in rows {
            self.max_pulled = self.max_pulled.max(row);
            let Some(id) = resource.id.clone() else {
                continue;
            };
            let Some(rt) = self.types.get(&id.resource_type) else {
                self.mark_done(row);
                continue;
            };
            let skip_all = find_annotation::<SkipEntitlementsAndGrants>(&rt.annotations)
                .ok()
                .flatten()
                .is_some();
            let skip_entitlements = find_annotation::<SkipEntitlements>(&rt.annotations)
                .ok()
                .flatten()
                .is_some();
            let skip_grants = find_annotation::<SkipGrants>(&rt.annotations)
                .ok()
                .flatten()
                .is_some();
            if self.options.skip_entitlements_and_grants
                || skip_all
                || (skip_entitlements && skip_grants)
            {
                self.mark_done(row);
                continue;
            }
            let stage = if skip_entitlements {
                WorkStage::Grants
            } else {
                WorkStage::Entitlements
            };
            self.works.insert(
                row,
                Work {
                    state: WorkState {
                        row,
                        resource_type: id.resource_type.clone(),
                        resource_id: id.resource.clone(),
                        stage,
                        page_token: None,
                    },
                    resource: Arc::new(resource),
                    active: false,
                    attempts: 0,
                },
            );
        }
        if pulled > 0 {
            self.dirty = true;
        }
        Ok(pulled)
    }

    fn mark_done(&mut self, row: i64) {
        self.works.remove(&row);
        self.done_after_cursor.insert(row);
        let new_cursor = match self.works.keys().next() {
            Some(&first_open) => first_open - 1,
            None => self.max_pulled,
        };
        if new_cursor > self.cursor {
            self.cursor = new_cursor;
        }
        let cursor = self.cursor;
        self.done_after_cursor.retain(|&r| r > cursor);
        self.dirty = true;
    }

    async fn handle(&mut self, output: TaskOutput) -> Result<(), SyncError> {
        match output {
            TaskOutput::Listing { id, result } => match result {
                Ok(page) => self.on_resource_page(id, page).await,
                Err(error) => self.on_listing_error(id, error),
            },
            TaskOutput::Entitlements { row, result } => match result {
                Ok(page) => self.on_entitlement_page(row, page),
                Err(error) => self.on_work_error(row, error),
            },
            TaskOutput::Grants { row, result } => match result {
                Ok(page) => self.on_grant_page(row, page),
                Err(error) => self.on_work_error(row, error),
            },
        }
    }

    async fn on_resource_page(&mut self, id: u64, page: ResourcePage) -> Result<(), SyncError> {
        let Some(listing) = self.listings.get(&id) else {
            return Ok(());
        };
        let state = listing.state.clone();
        let ResourcePage {
            mut resources,
            mut grants,
            next_page_token,
        } = page;
        if self.options.skip_entitlements_and_grants {
            grants.clear();
        }
        for resource in &mut resources {
            self.check_resource(&state, resource)?;
        }
        for grant in &grants {
            check_grant(grant)?;
        }
        check_next_token(&state.page_token, &next_page_token, || {
            format!("listing {} resources", state.resource_type)
        })?;
        match next_page_token {
            Some(token) => {
                if let Some(listing) = self.listings.get_mut(&id) {
                    listing.state.page_token = Some(token);
                    listing.active = false;
                    listing.attempts = 0;
                }
            }
            None => {
                self.listings.remove(&id);
            }
        }
        self.progress.add_page();
        self.progress.add_grants(grants.len() as u64);

        let mut records = std::mem::take(&mut self.pending);
        records.grants.extend(grants);
        let children: Vec<Vec<String>> = resources.iter().map(child_types).collect();
        let ids: Vec<Option<ResourceId>> = resources.iter().map(|r| r.id.clone()).collect();
        let (new_flags, new_flags_rx) = oneshot::channel();
        let (checkpoint_tx, checkpoint) = oneshot::channel();
        let (done, done_rx) = oneshot::channel();
        self.send(Command::Resources {
            resources,
            records,
            new_flags,
            checkpoint,
            done,
        })
        .await?;
        let flags = recv(new_flags_rx).await?;
        let mut new_count = 0;
        for ((is_new, kids), rid) in flags.iter().zip(children).zip(ids) {
            if !*is_new {
                continue;
            }
            new_count += 1;
            let Some(rid) = rid else { continue };
            for child in kids {
                if !self.types.contains_key(&child) {
                    return Err(SyncError::Connector {
                        context: format!("resource {}:{}", rid.resource_type, rid.resource),
                        error: ConnectorError::internal(format!(
                            "it names child resource type {child:?}, which the connector does not have"
                        )),
                    });
                }
                self.add_listing(ListingState {
                    resource_type: child,
                    parent_type: Some(rid.resource_type.clone()),
                    parent_id: Some(rid.resource.clone()),
                    page_token: None,
                });
            }
        }
        self.progress.add_resources(new_count);
        self.more_rows_possible = true;
        let _ = checkpoint_tx.send(self.checkpoint().to_token());
        recv(done_rx).await?;
        self.dirty = false;
        self.last_flush = Instant::now();
        Ok(())
    }

    fn on_entitlement_page(&mut self, row: i64, page: Page<Entitlement>) -> Result<(), SyncError> {
        let Some(work) = self.works.get_mut(&row) else {
            return Ok(());
        };
        for entitlement in &page.items {
            if entitlement.id.is_empty() || entitlement.resource.is_none() {
                return Err(SyncError::Connector {
                    context: format!(
                        "listing entitlements of {}:{}",
                        work.state.resource_type, work.state.resource_id
                    ),
                    error: ConnectorError::internal("an entitlement has no id or no resource"),
                });
            }
        }
        let context = format!(
            "listing entitlements of {}:{}",
            work.state.resource_type, work.state.resource_id
        );
        check_next_token(&work.state.page_token, &page.next_page_token, || context)?;
        self.progress.add_entitlements(page.items.len() as u64);
        self.pending.entitlements.extend(page.items);
        work.active = false;
        work.attempts = 0;
        match page.next_page_token {
            Some(token) => work.state.page_token = Some(token),
            None => {
                let skip_grants = self
                    .types
                    .get(&work.state.resource_type)
                    .map(|rt| {
                        find_annotation::<SkipGrants>(&rt.annotations)
                            .ok()
                            .flatten()
                            .is_some()
                    })
                    .unwrap_or(false);
                if skip_grants {
                    self.mark_done(row);
                } else {
                    work.state.stage = WorkStage::Grants;
                    work.state.page_token = None;
                }
            }
        }
        self.dirty = true;
        Ok(())
    }

    fn on_grant_page(&mut self, row: i64, page: Page<Grant>) -> Result<(), SyncError> {
        let Some(work) = self.works.get_mut(&row) else {
            return Ok(());
        };
        for grant in &page.items {
            check_grant(grant)?;
        }
        let context = format!(
            "listing grants of {}:{}",
            work.state.resource_type, work.state.resource_id
        );
        check_next_token(&work.state.page_token, &page.next_page_token, || context)?;
        self.progress.add_page();
        self.progress.add_grants(page.items.len() as u64);
        self.pending.grants.extend(page.items);
        work.active = false;
        work.attempts = 0;
        match page.next_page_token {
            Some(token) => work.state.page_token = Some(token),
            None => self.mark_done(row),
        }
        self.dirty = true;
        Ok(())
    }

    fn on_listing_error(&mut self, id: u64, error: ConnectorError) -> Result<(), SyncError> {
        let Some(listing) = self.listings.get_mut(&id) else {
            return Ok(());
        };
        let context = match (&listing.state.parent_type, &listing.state.parent_id) {
            (Some(t), Some(i)) => format!(
                "listing {} resources of {t}:{i}",
                listing.state.resource_type
            ),
            _ => format!("listing {} resources", listing.state.resource_type),
        };
        if error.code.is_retryable() && listing.attempts < self.options.max_retries {
            listing.attempts += 1;
            listing.active = false;
            tracing::warn!(%context, attempt = listing.attempts, error = %error, "retrying after a temporary failure");
            return Ok(());
        }
        Err(SyncError::Connector { context, error })
    }

    fn on_work_error(&mut self, row: i64, error: ConnectorError) -> Result<(), SyncError> {
        let Some(work) = self.works.get_mut(&row) else {
            return Ok(());
        };
        let what = match work.state.stage {
            WorkStage::Entitlements => "entitlements",
            WorkStage::Grants => "grants",
        };
        let context = format!(
            "listing {what} of {}:{}",
            work.state.resource_type, work.state.resource_id
        );
        if error.code.is_retryable() && work.attempts < self.options.max_retries {
            work.attempts += 1;
            work.active = false;
            tracing::warn!(%context, attempt = work.attempts, error = %error, "retrying after a temporary failure");
            return Ok(());
        }
        if error.code == ErrorCode::NotFound && self.warnings.len() < self.options.max_warnings {
            // As baton-sdk: an object that vanished between listing and reading
            // is reported, not fatal — but only a few times per sync.
            let warning = format!("{context}: {error}");
            tracing::warn!(warning = %warning, "skipping an object that is no longer visible");
            self.warnings.push(warning);
            self.mark_done(row);
            return Ok(());
        }
        Err(SyncError::Connector { context, error })
    }

    fn check_resource(
        &self,
        listing: &ListingState,
        resource: &mut Resource,
    ) -> Result<(), SyncError> {
        let context = || format!("listing {} resources", listing.resource_type);
        let Some(id) = resource.id.as_ref() else {
            return Err(SyncError::Connector {
                context: context(),
                error: ConnectorError::internal("a resource has no id"),
            });
        };
        if id.resource_type != listing.resource_type || id.resource.is_empty() {
            return Err(SyncError::Connector {
                context: context(),
                error: ConnectorError::internal(format!(
                    "resource {}:{} does not belong to this listing",
                    id.resource_type, id.resource
                )),
            });
        }
        let Some(rt) = self.types.get(&id.resource_type) else {
            return Err(SyncError::Internal(format!(
                "unknown resource type {:?}",
                id.resource_type
            )));
        };
        for t in &rt.traits {
            let present = match Trait::try_from(*t) {
                Ok(Trait::User) => has::<UserTrait>(resource),
                Ok(Trait::Group) => has::<GroupTrait>(resource),
                Ok(Trait::Role) => has::<RoleTrait>(resource),
                Ok(Trait::App) => has::<AppTrait>(resource),
                _ => true,
            };
            if !present {
                return Err(SyncError::Connector {
                    context: context(),
                    error: ConnectorError::internal(format!(
                        "resource {}:{} is missing its {:?} trait",
                        id.resource_type,
                        id.resource,
                        Trait::try_from(*t).map(|t| t.as_str_name()).unwrap_or("?")
                    )),
                });
            }
        }
        if resource.creation_source == CreationSource::Unspecified as i32 {
            resource.creation_source = CreationSource::ConnectorListResources as i32;
        }
        Ok(())
    }

    /// Commits pending rows and the current checkpoint.
    async fn flush(&mut self) -> Result<(), SyncError> {
        if !self.dirty && self.pending.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.pending);
        let (done, done_rx) = oneshot::channel();
        self.send(Command::Records {
            records,
            checkpoint: self.checkpoint().to_token(),
            done,
        })
        .await?;
        recv(done_rx).await?;
        self.dirty = false;
        self.last_flush = Instant::now();
        Ok(())
    }

    async fn get_resource(&self, id: ResourceId) -> Result<Option<Resource>, SyncError> {
        let (reply, reply_rx) = oneshot::channel();
        self.send(Command::GetResource { id, reply }).await?;
        recv(reply_rx).await
    }

    async fn send(&self, command: Command) -> Result<(), SyncError> {
        self.writer
            .send(command)
            .await
            .map_err(|_| SyncError::Store("the c1z writer stopped unexpectedly".into()))
    }
}

async fn recv<T>(rx: oneshot::Receiver<WriterResult<T>>) -> Result<T, SyncError> {
    match rx.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(SyncError::Store(message)),
        Err(_) => Err(SyncError::Store(
            "the c1z writer stopped unexpectedly".into(),
        )),
    }
}

fn has<M: prost::Message + Name + Default>(resource: &Resource) -> bool {
    matches!(find_annotation::<M>(&resource.annotations), Ok(Some(_)))
}

fn child_types(resource: &Resource) -> Vec<String> {
    resource
        .annotations
        .iter()
        .filter_map(|a| {
            baton_proto::unpack_any::<ChildResourceType>(a)
                .ok()
                .flatten()
        })
        .map(|c| c.resource_type_id)
        .collect()
}

fn check_grant(grant: &Grant) -> Result<(), SyncError> {
    let ok = !grant.id.is_empty()
        && grant.entitlement.as_ref().is_some_and(|e| {
            !e.id.is_empty() && e.resource.as_ref().and_then(|r| r.id.as_ref()).is_some()
        })
        && grant
            .principal
            .as_ref()
            .and_then(|p| p.id.as_ref())
            .is_some();
    if ok {
        Ok(())
    } else {
        Err(SyncError::Connector {
            context: "listing grants".into(),
            error: ConnectorError::internal(format!(
                "grant {:?} lacks an id, an entitlement with a resource, or a principal",
                grant.id
            )),
        })
    }
}

/// baton-sdk refuses a page whose next token equals the one just used: it
/// would loop forever.
fn check_next_token(
    current: &Option<String>,
    next: &Option<String>,
    context: impl FnOnce() -> String,
) -> Result<(), SyncError> {
    match (current, next) {
        (Some(c), Some(n)) if c == n => Err(SyncError::Connector {
            context: context(),
            error: ConnectorError::internal(
                "next page token is the same as the current page token",
            ),
        }),
        _ => Ok(()),
    }
}

/// Linear back-off between engine-level retries (the API client has already
/// retried with its own back-off by the time an error reaches here).
fn retry_delay(attempts: u32) -> Duration {
    Duration::from_secs(u64::from(attempts).min(60))
}
