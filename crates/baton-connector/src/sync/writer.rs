//! The one writer: a dedicated thread that owns the c1z store, so SQLite work
//! never blocks the async runtime and every write is serialized.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use baton_proto::ids::resource_key;
use baton_proto::v2::{Entitlement, Grant, Resource, ResourceId, ResourceType};
use c1z::{C1zStore, SyncStats, WriteBatch};
use tokio::sync::{mpsc, oneshot};

use crate::connector::ResourceSyncer;

/// Rows without a reply of their own, committed with a checkpoint.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub entitlements: Vec<Entitlement>,
    pub grants: Vec<Grant>,
}

impl Records {
    pub fn is_empty(&self) -> bool {
        self.entitlements.is_empty() && self.grants.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entitlements.len() + self.grants.len()
    }
}

pub(crate) type WriterResult<T> = Result<T, String>;

pub(crate) enum Command {
    ResourceTypes {
        types: Vec<ResourceType>,
        checkpoint: String,
        done: oneshot::Sender<WriterResult<()>>,
    },
    /// Upserts resources, merging those already in this sync; answers which
    /// were new, then waits for the checkpoint that accounts for them and
    /// commits everything in one transaction.
    Resources {
        resources: Vec<Resource>,
        records: Records,
        new_flags: oneshot::Sender<WriterResult<Vec<bool>>>,
        checkpoint: oneshot::Receiver<String>,
        done: oneshot::Sender<WriterResult<()>>,
    },
    Records {
        records: Records,
        checkpoint: String,
        done: oneshot::Sender<WriterResult<()>>,
    },
    ResourcesAfter {
        after_row: i64,
        limit: usize,
        reply: oneshot::Sender<WriterResult<Vec<(i64, Resource)>>>,
    },
    GetResource {
        id: ResourceId,
        reply: oneshot::Sender<WriterResult<Option<Resource>>>,
    },
    End {
        reply: oneshot::Sender<WriterResult<SyncStats>>,
    },
}

/// Handle to the writer thread.
pub(crate) struct Writer {
    pub commands: mpsc::Sender<Command>,
    thread: JoinHandle<C1zStore>,
}

impl Writer {
    pub fn spawn(
        store: C1zStore,
        sync_id: String,
        syncers: HashMap<String, Arc<dyn ResourceSyncer>>,
    ) -> std::io::Result<Self> {
        let (commands, receiver) = mpsc::channel(64);
        let thread = std::thread::Builder::new()
            .name("c1z-writer".into())
            .spawn(move || run(store, sync_id, syncers, receiver))?;
        Ok(Self { commands, thread })
    }

    /// Waits for the thread to drain its queue and gives the store back.
    pub fn finish(self) -> Result<C1zStore, String> {
        drop(self.commands);
        self.thread
            .join()
            .map_err(|_| "the c1z writer thread panicked".to_owned())
    }
}

fn run(
    mut store: C1zStore,
    sync_id: String,
    syncers: HashMap<String, Arc<dyn ResourceSyncer>>,
    mut receiver: mpsc::Receiver<Command>,
) -> C1zStore {
    // After a failed write nothing more is written, so the checkpoint never
    // claims work whose rows are missing.
    let mut failure: Option<String> = None;
    while let Some(command) = receiver.blocking_recv() {
        match command {
            Command::ResourceTypes {
                types,
                checkpoint,
                done,
            } => {
                let batch = WriteBatch {
                    resource_types: types,
                    ..Default::default()
                };
                let result = commit(&mut store, &sync_id, &mut failure, &batch, &checkpoint);
                let _ = done.send(result);
            }
            Command::Resources {
                resources,
                records,
                new_flags,
                checkpoint,
                done,
            } => {
                if let Some(err) = &failure {
                    let _ = new_flags.send(Err(err.clone()));
                    let _ = done.send(Err(err.clone()));
                    continue;
                }
                let merged = match merge_resources(&store, &sync_id, &syncers, resources) {
                    Ok(merged) => merged,
                    Err(e) => {
                        failure = Some(e.clone());
                        let _ = new_flags.send(Err(e.clone()));
                        let _ = done.send(Err(e));
                        continue;
                    }
                };
                let _ = new_flags.send(Ok(merged.new_flags));
                let Ok(checkpoint) = checkpoint.blocking_recv() else {
                    // The engine gave up before accounting for the page: write nothing.
                    let _ = done.send(Err("sync stopped".into()));
                    continue;
                };
                let batch = WriteBatch {
                    resources: merged.resources,
                    entitlements: records.entitlements,
                    grants: records.grants,
                    ..Default::default()
                };
                let result = commit(&mut store, &sync_id, &mut failure, &batch, &checkpoint);
                let _ = done.send(result);
            }
            Command::Records {
                records,
                checkpoint,
                done,
            } => {
                let batch = WriteBatch {
                    entitlements: records.entitlements,
                    grants: records.grants,
                    ..Default::default()
                };
                let result = commit(&mut store, &sync_id, &mut failure, &batch, &checkpoint);
                let _ = done.send(result);
            }
            Command::ResourcesAfter {
                after_row,
                limit,
                reply,
            } => {
                let result = guard(&mut failure, |_| {
                    store
                        .list_resources_after_row(&sync_id, after_row, limit)
                        .map_err(|e| e.to_string())
                });
                let _ = reply.send(result);
            }
            Command::GetResource { id, reply } => {
                let result = guard(&mut failure, |_| {
                    store.get_resource(&sync_id, &id).map_err(|e| e.to_string())
                });
                let _ = reply.send(result);
            }
            Command::End { reply } => {
                let result = guard(&mut failure, |_| {
                    store.end_sync(&sync_id).map_err(|e| e.to_string())
                });
                let _ = reply.send(result);
            }
        }
    }
    store
}

/// Writes a batch with its checkpoint in one transaction; after a failure
/// nothing more is written.
fn commit(
    store: &mut C1zStore,
    sync_id: &str,
    failure: &mut Option<String>,
    batch: &WriteBatch,
    checkpoint: &str,
) -> WriterResult<()> {
    if let Some(err) = failure {
        return Err(err.clone());
    }
    store
        .write_batch(sync_id, batch, Some(checkpoint))
        .map_err(|e| {
            let message = e.to_string();
            *failure = Some(message.clone());
            message
        })
}

fn guard<T>(
    failure: &mut Option<String>,
    op: impl FnOnce(&mut Option<String>) -> WriterResult<T>,
) -> WriterResult<T> {
    match failure {
        Some(err) => Err(err.clone()),
        None => op(failure),
    }
}

struct Merged {
    resources: Vec<Resource>,
    new_flags: Vec<bool>,
}

/// Merges each incoming resource with the stored one of the same key (and with
/// earlier ones in the same page), using the type's syncer to combine them.
fn merge_resources(
    store: &C1zStore,
    sync_id: &str,
    syncers: &HashMap<String, Arc<dyn ResourceSyncer>>,
    incoming: Vec<Resource>,
) -> WriterResult<Merged> {
    let mut new_flags = Vec::with_capacity(incoming.len());
    let mut out: Vec<Resource> = Vec::with_capacity(incoming.len());
    let mut position: HashMap<String, usize> = HashMap::new();
    for resource in incoming {
        let Some(id) = resource.id.clone() else {
            return Err("a connector returned a resource without an id".into());
        };
        let key = resource_key(&id);
        let syncer = syncers.get(&id.resource_type);
        if let Some(&at) = position.get(&key) {
            let merged = match syncer {
                Some(s) => s.merge_duplicate(&out[at], resource),
                None => resource,
            };
            out[at] = merged;
            new_flags.push(false);
            continue;
        }
        let existing = store
            .get_resource(sync_id, &id)
            .map_err(|e| e.to_string())?;
        let (resource, is_new) = match (existing, syncer) {
            (Some(existing), Some(s)) => (s.merge_duplicate(&existing, resource), false),
            (Some(_), None) => (resource, false),
            (None, _) => (resource, true),
        };
        position.insert(key, out.len());
        out.push(resource);
        new_flags.push(is_new);
    }
    Ok(Merged {
        resources: out,
        new_flags,
    })
}
