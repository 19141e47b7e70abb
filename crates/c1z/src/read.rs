//! Reads within one sync: get by id, filtered lists, streaming (`for_each_*`)
//! and keyset pages ordered by row id, so a caller never has to hold a whole
//! sync in memory. Lookups use the same columns and indexes as baton-sdk.

use baton_proto::ids::resource_key;
use baton_proto::v2::{Entitlement, Grant, GrantExpandable, Resource, ResourceId, ResourceType};
use baton_proto::Any;
use prost::{Message, Name};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use crate::error::{Error, Result, SqlContext};
use crate::schema::{ENTITLEMENTS, GRANTS, RESOURCES, RESOURCE_TYPES};

/// Which grants of a sync to read; set fields are ANDed, `Default` reads all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantFilter {
    /// Grants of this entitlement id.
    pub entitlement_id: Option<String>,
    /// Grants to this principal.
    pub principal: Option<ResourceId>,
    /// Grants of entitlements on this resource.
    pub resource: Option<ResourceId>,
    /// Grants of entitlements on resources of this type.
    pub resource_type: Option<String>,
}

impl GrantFilter {
    pub fn entitlement(id: impl Into<String>) -> Self {
        GrantFilter {
            entitlement_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn principal(id: &ResourceId) -> Self {
        GrantFilter {
            principal: Some(id.clone()),
            ..Self::default()
        }
    }

    pub fn resource(id: &ResourceId) -> Self {
        GrantFilter {
            resource: Some(id.clone()),
            ..Self::default()
        }
    }
}

/// One keyset page: `next` is the cursor for the following page (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

/// A query over one data table: `where` text and its parameters.
pub(crate) struct Query {
    table: &'static str,
    kind: &'static str,
    columns: &'static str,
    conditions: Vec<&'static str>,
    params: Vec<Value>,
}

impl Query {
    fn new(table: &'static str, kind: &'static str, columns: &'static str, sync_id: &str) -> Self {
        Query {
            table,
            kind,
            columns,
            conditions: vec!["sync_id = ?"],
            params: vec![Value::Text(sync_id.to_owned())],
        }
    }

    fn and(mut self, condition: &'static str, value: &str) -> Self {
        self.conditions.push(condition);
        self.params.push(Value::Text(value.to_owned()));
        self
    }

    fn sql(&self, paged: bool) -> String {
        let mut sql = format!(
            "select id, external_id, {} from {} where {}",
            self.columns,
            self.table,
            self.conditions.join(" and ")
        );
        if paged {
            sql.push_str(" and id > ? order by id limit ?");
        } else {
            sql.push_str(" order by id");
        }
        sql
    }

    pub(crate) fn resources(
        sync_id: &str,
        resource_type: Option<&str>,
        parent: Option<&ResourceId>,
    ) -> Self {
        let mut q = Query::new(RESOURCES, "resource", "data", sync_id);
        if let Some(t) = resource_type {
            q = q.and("resource_type_id = ?", t);
        }
        if let Some(p) = parent {
            q = q
                .and("parent_resource_type_id = ?", &p.resource_type)
                .and("parent_resource_id = ?", &p.resource);
        }
        q
    }

    pub(crate) fn entitlements(sync_id: &str, resource: Option<&ResourceId>) -> Self {
        let mut q = Query::new(ENTITLEMENTS, "entitlement", "data", sync_id);
        if let Some(r) = resource {
            q = q
                .and("resource_type_id = ?", &r.resource_type)
                .and("resource_id = ?", &r.resource);
        }
        q
    }

    pub(crate) fn grants(sync_id: &str, filter: &GrantFilter) -> Self {
        let mut q = Query::new(GRANTS, "grant", "data, expansion", sync_id);
        if let Some(e) = &filter.entitlement_id {
            q = q.and("entitlement_id = ?", e);
        }
        if let Some(p) = &filter.principal {
            q = q
                .and("principal_resource_type_id = ?", &p.resource_type)
                .and("principal_resource_id = ?", &p.resource);
        }
        if let Some(r) = &filter.resource {
            q = q
                .and("resource_type_id = ?", &r.resource_type)
                .and("resource_id = ?", &r.resource);
        }
        if let Some(t) = &filter.resource_type {
            q = q.and("resource_type_id = ?", t);
        }
        q
    }

    pub(crate) fn resource_types(sync_id: &str) -> Self {
        Query::new(RESOURCE_TYPES, "resource type", "data", sync_id)
    }
}

/// Decodes one row (`id, external_id, data[, expansion]`) into a message.
pub(crate) trait Stored: Sized {
    fn from_row(kind: &'static str, row: &Row<'_>) -> Result<Self>;
}

fn blob<'r>(row: &'r Row<'_>, idx: usize, kind: &'static str) -> Result<&'r [u8]> {
    let value = row
        .get_ref(idx)
        .ctx(|| format!("reading a stored {kind}"))?;
    Ok(match value {
        ValueRef::Null | ValueRef::Integer(_) | ValueRef::Real(_) => &[],
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes,
    })
}

fn decode<M: Message + Default>(kind: &'static str, row: &Row<'_>) -> Result<M> {
    let data = blob(row, 2, kind)?;
    M::decode(data).map_err(|source| Error::Decode {
        kind,
        id: row.get::<_, String>(1).unwrap_or_default(),
        source,
    })
}

macro_rules! plain_stored {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            fn from_row(kind: &'static str, row: &Row<'_>) -> Result<Self> {
                decode(kind, row)
            }
        }
    )*};
}
plain_stored!(ResourceType, Resource, Entitlement);

impl Stored for Grant {
    /// Puts the `expansion` column back as a GrantExpandable annotation (last),
    /// so a grant reads back as it was put. Files from older SDKs keep the
    /// annotation inside `data` and have no expansion column value.
    fn from_row(kind: &'static str, row: &Row<'_>) -> Result<Self> {
        let mut grant: Grant = decode(kind, row)?;
        let expansion = blob(row, 3, kind)?;
        let name = GrantExpandable::full_name();
        let present = grant
            .annotations
            .iter()
            .any(|a| a.type_url.rsplit('/').next() == Some(name.as_str()));
        if !expansion.is_empty() && !present {
            grant.annotations.push(Any {
                type_url: GrantExpandable::type_url(),
                value: expansion.to_vec().into(),
            });
        }
        Ok(grant)
    }
}

/// Streams every row of `query` into `f`, in row-id order.
pub(crate) fn for_each<T: Stored, E: From<Error>>(
    conn: &Connection,
    query: &Query,
    mut f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let context = || format!("listing {}s", query.kind);
    let mut stmt = conn.prepare_cached(&query.sql(false)).ctx(context)?;
    let mut rows = stmt
        .query(params_from_iter(query.params.iter()))
        .ctx(context)?;
    while let Some(row) = rows.next().ctx(context)? {
        f(T::from_row(query.kind, row)?)?;
    }
    Ok(())
}

/// All rows of `query`.
pub(crate) fn collect<T: Stored>(conn: &Connection, query: &Query) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for_each(conn, query, |item| {
        out.push(item);
        Ok::<(), Error>(())
    })?;
    Ok(out)
}

/// Up to `limit` rows with row id > `after`.
pub(crate) fn page<T: Stored>(
    conn: &Connection,
    query: &Query,
    after: Option<i64>,
    limit: usize,
) -> Result<Page<T>> {
    if limit == 0 {
        return Err(Error::InvalidArgument(
            "a page needs a limit of at least 1".to_owned(),
        ));
    }
    let context = || format!("listing a page of {}s", query.kind);
    let mut params = query.params.clone();
    params.push(Value::Integer(after.unwrap_or(0)));
    // One extra row tells whether another page follows.
    params.push(Value::Integer(
        i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1),
    ));
    let mut stmt = conn.prepare_cached(&query.sql(true)).ctx(context)?;
    let mut rows = stmt.query(params_from_iter(params.iter())).ctx(context)?;
    let mut items = Vec::with_capacity(limit.min(1024));
    let mut last_id = None;
    let mut more = false;
    while let Some(row) = rows.next().ctx(context)? {
        if items.len() == limit {
            more = true;
            break;
        }
        last_id = Some(row.get::<_, i64>(0).ctx(context)?);
        items.push(T::from_row(query.kind, row)?);
    }
    Ok(Page {
        items,
        next: if more { last_id } else { None },
    })
}

/// Up to `limit` rows with row id > `after`, each with its row id, so a caller
/// can track progress row by row (the sync engine's cursor).
pub(crate) fn rows_after<T: Stored>(
    conn: &Connection,
    query: &Query,
    after: i64,
    limit: usize,
) -> Result<Vec<(i64, T)>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let context = || format!("listing {}s by row", query.kind);
    let mut params = query.params.clone();
    params.push(Value::Integer(after));
    params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let mut stmt = conn.prepare_cached(&query.sql(true)).ctx(context)?;
    let mut rows = stmt.query(params_from_iter(params.iter())).ctx(context)?;
    let mut out = Vec::with_capacity(limit.min(1024));
    while let Some(row) = rows.next().ctx(context)? {
        let id = row.get::<_, i64>(0).ctx(context)?;
        out.push((id, T::from_row(query.kind, row)?));
    }
    Ok(out)
}

/// The row of `table` with `external_id` in `sync_id`, if any.
pub(crate) fn get<T: Stored>(
    conn: &Connection,
    table: &'static str,
    kind: &'static str,
    sync_id: &str,
    external_id: &str,
) -> Result<Option<T>> {
    let columns = if table == GRANTS {
        "data, expansion"
    } else {
        "data"
    };
    let sql = format!(
        "select id, external_id, {columns} from {table} where external_id = ?1 and sync_id = ?2"
    );
    let context = || format!("looking up {kind} {external_id:?}");
    let mut stmt = conn.prepare_cached(&sql).ctx(context)?;
    let mut rows = stmt.query([external_id, sync_id]).ctx(context)?;
    match rows.next().ctx(context)? {
        Some(row) => T::from_row(kind, row).map(Some),
        None => Ok(None),
    }
}

/// Whether a resource with this id exists in `sync_id` (without decoding it).
pub(crate) fn resource_exists(conn: &Connection, sync_id: &str, id: &ResourceId) -> Result<bool> {
    let key = resource_key(id);
    conn.prepare_cached(&format!(
        "select 1 from {RESOURCES} where external_id = ?1 and sync_id = ?2"
    ))
    .and_then(|mut stmt| {
        stmt.query_row([key.as_str(), sync_id], |_| Ok(()))
            .optional()
    })
    .map(|found| found.is_some())
    .ctx(|| format!("looking up resource {key:?}"))
}

/// Grants of `sync_id` whose `expansion` column is set, with the decoded annotation.
pub(crate) fn for_each_expandable<E: From<Error>>(
    conn: &Connection,
    sync_id: &str,
    mut f: impl FnMut(Grant, GrantExpandable) -> Result<(), E>,
) -> Result<(), E> {
    let sql = format!(
        "select id, external_id, data, expansion from {GRANTS} \
         where sync_id = ?1 and expansion is not null order by id"
    );
    let context = || format!("listing expandable grants of sync {sync_id}");
    let mut stmt = conn.prepare_cached(&sql).ctx(context)?;
    let mut rows = stmt.query([sync_id]).ctx(context)?;
    while let Some(row) = rows.next().ctx(context)? {
        let grant = Grant::from_row("grant", row)?;
        let expandable =
            GrantExpandable::decode(blob(row, 3, "grant")?).map_err(|source| Error::Decode {
                kind: "grant expansion",
                id: grant.id.clone(),
                source,
            })?;
        f(grant, expandable)?;
    }
    Ok(())
}
