//! Batched upserts into the data tables. Every indexed column is filled the way
//! baton-sdk fills it (§1.3 of the interop reference), `data` is the protobuf
//! encoding of the message, and a re-put of the same `(external_id, sync_id)`
//! replaces only `data` (plus the expansion columns for grants, as the SDK does).
//! Callers wrap these in one transaction; statements are prepared once and cached.

use baton_proto::ids::resource_key;
use baton_proto::v2::{Entitlement, Grant, GrantExpandable, Resource, ResourceId, ResourceType};
use prost::{Message, Name};
use rusqlite::{params, Connection};

use crate::error::{Error, Result, SqlContext};
use crate::schema::{ENTITLEMENTS, GRANTS, RESOURCES, RESOURCE_TYPES};

/// Several kinds of rows written in one transaction (see `C1zStore::write_batch`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    pub resource_types: Vec<ResourceType>,
    pub resources: Vec<Resource>,
    pub entitlements: Vec<Entitlement>,
    pub grants: Vec<Grant>,
}

impl WriteBatch {
    /// Number of rows in the batch.
    pub fn len(&self) -> usize {
        self.resource_types.len()
            + self.resources.len()
            + self.entitlements.len()
            + self.grants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.resource_types.clear();
        self.resources.clear();
        self.entitlements.clear();
        self.grants.clear();
    }
}

/// Borrowed slices of each kind, written together.
pub(crate) struct Parts<'a> {
    pub resource_types: &'a [ResourceType],
    pub resources: &'a [Resource],
    pub entitlements: &'a [Entitlement],
    pub grants: &'a [Grant],
}

/// Writes every part (the caller holds the transaction).
pub(crate) fn write_parts(
    conn: &Connection,
    sync_id: &str,
    now: &str,
    parts: &Parts<'_>,
) -> Result<()> {
    let mut buf = Vec::with_capacity(1024);
    put_resource_types(conn, sync_id, now, parts.resource_types, &mut buf)?;
    put_resources(conn, sync_id, now, parts.resources, &mut buf)?;
    put_entitlements(conn, sync_id, now, parts.entitlements, &mut buf)?;
    put_grants(conn, sync_id, now, parts.grants, &mut buf)?;
    Ok(())
}

fn encode<'b, M: Message>(message: &M, buf: &'b mut Vec<u8>) -> &'b [u8] {
    buf.clear();
    // Encoding into a Vec cannot run out of space, the only way encode fails.
    message.encode_raw(buf);
    buf.as_slice()
}

fn invalid(kind: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidRecord {
        kind,
        reason: reason.into(),
    }
}

/// A ResourceId with both parts set, or an error naming `what`.
fn full_id<'a>(
    kind: &'static str,
    id: Option<&'a ResourceId>,
    what: &str,
    whose: &str,
) -> Result<&'a ResourceId> {
    match id {
        Some(id) if !id.resource_type.is_empty() && !id.resource.is_empty() => Ok(id),
        Some(id) => Err(invalid(
            kind,
            format!(
                "{whose}: {what} {:?}:{:?} has an empty part",
                id.resource_type, id.resource
            ),
        )),
        None => Err(invalid(kind, format!("{whose}: {what} is not set"))),
    }
}

fn put_resource_types(
    conn: &Connection,
    sync_id: &str,
    now: &str,
    items: &[ResourceType],
    buf: &mut Vec<u8>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let context = || format!("writing resource types of sync {sync_id}");
    let mut stmt = conn
        .prepare_cached(&format!(
            "insert into {RESOURCE_TYPES} (external_id, data, sync_id, discovered_at) values (?1, ?2, ?3, ?4) \
             on conflict (external_id, sync_id) do update set data = excluded.data"
        ))
        .ctx(context)?;
    for rt in items {
        if rt.id.is_empty() {
            return Err(invalid(
                "resource type",
                format!("{:?} has an empty id", rt.display_name),
            ));
        }
        stmt.execute(params![rt.id, encode(rt, buf), sync_id, now])
            .ctx(context)?;
    }
    Ok(())
}

fn put_resources(
    conn: &Connection,
    sync_id: &str,
    now: &str,
    items: &[Resource],
    buf: &mut Vec<u8>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let context = || format!("writing resources of sync {sync_id}");
    let mut stmt = conn
        .prepare_cached(&format!(
            "insert into {RESOURCES} (resource_type_id, external_id, parent_resource_type_id, \
             parent_resource_id, data, sync_id, discovered_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             on conflict (external_id, sync_id) do update set data = excluded.data"
        ))
        .ctx(context)?;
    for resource in items {
        let id = full_id(
            "resource",
            resource.id.as_ref(),
            "id",
            &resource.display_name,
        )?;
        let parent = resource.parent_resource_id.as_ref();
        stmt.execute(params![
            id.resource_type,
            resource_key(id),
            parent.map(|p| p.resource_type.as_str()),
            parent.map(|p| p.resource.as_str()),
            encode(resource, buf),
            sync_id,
            now
        ])
        .ctx(context)?;
    }
    Ok(())
}

fn put_entitlements(
    conn: &Connection,
    sync_id: &str,
    now: &str,
    items: &[Entitlement],
    buf: &mut Vec<u8>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let context = || format!("writing entitlements of sync {sync_id}");
    let mut stmt = conn
        .prepare_cached(&format!(
            "insert into {ENTITLEMENTS} (resource_type_id, resource_id, external_id, data, sync_id, discovered_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6) \
             on conflict (external_id, sync_id) do update set data = excluded.data"
        ))
        .ctx(context)?;
    for ent in items {
        if ent.id.is_empty() {
            return Err(invalid(
                "entitlement",
                format!("{:?} has an empty id", ent.display_name),
            ));
        }
        let resource = full_id(
            "entitlement",
            ent.resource.as_ref().and_then(|r| r.id.as_ref()),
            "resource id",
            &ent.id,
        )?;
        stmt.execute(params![
            resource.resource_type,
            resource.resource,
            ent.id,
            encode(ent, buf),
            sync_id,
            now
        ])
        .ctx(context)?;
    }
    Ok(())
}

/// The GrantExpandable annotation split out of a grant, as baton-sdk v0.25 does:
/// it never stays in `data`; the `expansion` column holds it only when it names
/// at least one non-blank entitlement id.
struct Expansion {
    stripped: Grant,
    column: Option<Vec<u8>>,
}

fn is_expandable(type_url: &str) -> bool {
    type_url.rsplit('/').next() == Some(GrantExpandable::full_name().as_str())
}

fn split_expansion(grant: &Grant) -> Result<Option<Expansion>> {
    if !grant.annotations.iter().any(|a| is_expandable(&a.type_url)) {
        return Ok(None);
    }
    let mut stripped = grant.clone();
    let mut first = None;
    stripped.annotations.retain(|a| {
        if is_expandable(&a.type_url) {
            if first.is_none() {
                first = Some(a.value.clone());
            }
            false
        } else {
            true
        }
    });
    let value = first.unwrap_or_default();
    let expandable = GrantExpandable::decode(value.as_ref()).map_err(|e| {
        invalid(
            "grant",
            format!(
                "{}: GrantExpandable annotation does not decode: {e}",
                grant.id
            ),
        )
    })?;
    let column = expandable
        .entitlement_ids
        .iter()
        .any(|id| !id.trim().is_empty())
        .then(|| expandable.encode_to_vec());
    Ok(Some(Expansion { stripped, column }))
}

fn put_grants(
    conn: &Connection,
    sync_id: &str,
    now: &str,
    items: &[Grant],
    buf: &mut Vec<u8>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let context = || format!("writing grants of sync {sync_id}");
    // needs_expansion on conflict: baton-sdk's rule (set when the expansion
    // appears or changes, cleared when it goes away, else kept).
    let mut stmt = conn
        .prepare_cached(&format!(
            "insert into {GRANTS} (resource_type_id, resource_id, entitlement_id, principal_resource_type_id, \
             principal_resource_id, external_id, expansion, needs_expansion, data, sync_id, discovered_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             on conflict (external_id, sync_id) do update set data = excluded.data, \
             expansion = excluded.expansion, \
             needs_expansion = case \
               when excluded.expansion is null or excluded.expansion = x'' then 0 \
               when {GRANTS}.expansion is null and excluded.expansion is not null then 1 \
               when {GRANTS}.expansion is not null and excluded.expansion is not null \
                    and {GRANTS}.expansion != excluded.expansion then 1 \
               else {GRANTS}.needs_expansion end"
        ))
        .ctx(context)?;
    for grant in items {
        if grant.id.is_empty() {
            return Err(invalid("grant", "a grant has an empty id"));
        }
        let ent = grant
            .entitlement
            .as_ref()
            .filter(|e| !e.id.is_empty())
            .ok_or_else(|| invalid("grant", format!("{}: entitlement id is not set", grant.id)))?;
        let resource = full_id(
            "grant",
            ent.resource.as_ref().and_then(|r| r.id.as_ref()),
            "entitlement resource id",
            &grant.id,
        )?;
        let principal = full_id(
            "grant",
            grant.principal.as_ref().and_then(|p| p.id.as_ref()),
            "principal id",
            &grant.id,
        )?;
        let expansion = split_expansion(grant)?;
        let (data, column) = match &expansion {
            Some(e) => (encode(&e.stripped, buf), e.column.as_deref()),
            None => (encode(grant, buf), None),
        };
        stmt.execute(params![
            resource.resource_type,
            resource.resource,
            ent.id,
            principal.resource_type,
            principal.resource,
            grant.id,
            column,
            i64::from(column.is_some()),
            data,
            sync_id,
            now
        ])
        .ctx(context)?;
    }
    Ok(())
}
