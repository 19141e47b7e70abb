//! `limit`/`offset` pagination as pages and as a [`Stream`] of items.
//!
//! Rules (Asana's, made strict):
//! - every request sends `limit=100`; the next request is built from `next_page.offset` only
//!   (`path`/`uri` are ignored: Asana once returned a broken `path`);
//! - the list ends **only** at `"next_page": null`. A body without the `next_page` key, a
//!   `next_page` without an `offset`, an item without `gid`, a body that is not JSON (after the read
//!   retries) or a page that fails after retries is an error — never an end;
//! - a 400 on a request that carried an offset means the offset expired or is invalid
//!   ([`ErrorKind::OffsetExpired`]).
//!
//! # Restart on an expired offset
//! [`ListRequest::stream`] handles an expired offset itself: it restarts the listing from the first
//! page, at most `max_list_restarts` times per stream (then it fails with `OffsetExpired`). So that
//! the consumer never sees an item twice, the stream remembers the gid of every item it yielded and
//! drops repeats — also without a restart, should Asana repeat an item across pages while data
//! shifts. Memory cost: one `String` per yielded item for the life of the stream (≈ 40–60 bytes per
//! item; 100,000 memberships ≈ 5 MB), which buys exactly-once delivery without asking every
//! caller to handle restarts. Items that changed between the first pass and the restart are
//! yielded as first seen.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::{Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind};
use crate::http::{ApiRequest, DecodeError, Transport};
use crate::limiter::Priority;

/// Asana's maximum (and our only) page size.
pub const PAGE_SIZE: u32 = 100;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in Asana's order.
    pub items: Vec<T>,
    /// `next_page.offset`; `None` only when Asana sent `"next_page": null`.
    pub next_offset: Option<String>,
}

/// A list endpoint with its query, ready to fetch page by page or as a stream.
pub struct ListRequest<T> {
    transport: Arc<Transport>,
    route: &'static str,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    opt_fields: Vec<String>,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for ListRequest<T> {
    fn clone(&self) -> Self {
        ListRequest {
            transport: Arc::clone(&self.transport),
            route: self.route,
            segments: self.segments.clone(),
            query: self.query.clone(),
            opt_fields: self.opt_fields.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ListRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRequest")
            .field("route", &self.route)
            .field("segments", &self.segments)
            .field("query", &self.query)
            .field("opt_fields", &self.opt_fields)
            .finish()
    }
}

/// Distinguishes a missing `next_page` key (`None`) from `"next_page": null` (`Some(None)`).
fn present<'de, D, V>(d: D) -> Result<Option<V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    V::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct NextPage {
    #[serde(default)]
    offset: Option<String>,
}

#[derive(Deserialize)]
struct ListEnvelope {
    data: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    next_page: Option<Option<NextPage>>,
}

/// A decoded page with each item's gid, for de-duplication.
pub(crate) struct RawPage<T> {
    items: Vec<(String, T)>,
    next_offset: Option<String>,
}

fn decode_page<T: DeserializeOwned>(body: &[u8]) -> Result<RawPage<T>, DecodeError> {
    let env: ListEnvelope = serde_json::from_slice(body).map_err(|e| DecodeError::from_json(&e))?;
    let next_offset = match env.next_page {
        None => {
            return Err(DecodeError::Protocol(
                "list response has no `next_page` key; refusing to treat it as the last page"
                    .into(),
            ))
        }
        Some(None) => None,
        Some(Some(NextPage {
            offset: Some(offset),
        })) if !offset.is_empty() => Some(offset),
        Some(Some(_)) => {
            return Err(DecodeError::Protocol(
                "`next_page` is present but has no `offset`".into(),
            ))
        }
    };
    let mut items = Vec::with_capacity(env.data.len());
    for (i, value) in env.data.into_iter().enumerate() {
        let gid = match value.get("gid").and_then(serde_json::Value::as_str) {
            Some(g) if !g.is_empty() => g.to_owned(),
            _ => {
                return Err(DecodeError::Protocol(format!(
                    "item {i} of the page has no string `gid`"
                )))
            }
        };
        let item = T::deserialize(value)
            .map_err(|e| DecodeError::Protocol(format!("item {i} (gid {gid}): {e}")))?;
        items.push((gid, item));
    }
    Ok(RawPage { items, next_offset })
}

impl<T> ListRequest<T> {
    pub(crate) fn new(
        transport: Arc<Transport>,
        route: &'static str,
        segments: Vec<String>,
        default_fields: &[&str],
    ) -> Self {
        ListRequest {
            transport,
            route,
            segments,
            query: Vec::new(),
            opt_fields: default_fields.iter().map(|s| (*s).to_owned()).collect(),
            _item: PhantomData,
        }
    }

    /// Replace the `opt_fields` (the defaults are chosen per model, see [`crate::models::fields`]).
    /// An empty slice sends no `opt_fields` (Asana's compact records).
    pub fn opt_fields(mut self, fields: &[&str]) -> Self {
        self.opt_fields = fields.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Add a query parameter (e.g. `user` on workspace memberships). `limit`, `offset` and
    /// `opt_fields` are managed by the request and are ignored here.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if matches!(key, "limit" | "offset" | "opt_fields") {
            tracing::warn!(key, "ignoring a managed pagination/query parameter");
        } else {
            self.query.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    /// Route template, e.g. `/teams/{team_gid}/team_memberships`.
    pub fn route(&self) -> &'static str {
        self.route
    }

    fn request(&self, offset: Option<&str>) -> ApiRequest {
        let mut req = ApiRequest::get(self.route, self.segments.clone());
        req.query = self.query.clone();
        req = req.query("limit", PAGE_SIZE.to_string());
        if !self.opt_fields.is_empty() {
            req = req.query("opt_fields", self.opt_fields.join(","));
        }
        match offset {
            Some(o) => req.query("offset", o).priority(Priority::High),
            None => req,
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> ListRequest<T> {
    async fn fetch(&self, offset: Option<&str>) -> Result<RawPage<T>, Error> {
        self.transport
            .execute(&self.request(offset), decode_page::<T>)
            .await
    }

    /// One page: `limit=100`, `offset` from a previous page (`None` for the first). A 400 on a
    /// request that carried an offset is [`ErrorKind::OffsetExpired`]; no restart happens here.
    pub async fn page(&self, offset: Option<&str>) -> Result<Page<T>, Error> {
        let raw = self.fetch(offset).await?;
        Ok(Page {
            items: raw.items.into_iter().map(|(_, item)| item).collect(),
            next_offset: raw.next_offset,
        })
    }

    /// Every item, following `next_page.offset` until `"next_page": null`. Restarts from the
    /// first page on an expired offset (at most `max_list_restarts` times) without yielding any
    /// gid twice; yields one `Err` and ends on anything else that goes wrong. See the module docs.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send {
        let state = StreamState {
            max_restarts: self.transport.max_list_restarts,
            req: self,
            offset: None,
            seen: HashSet::new(),
            restarts: 0,
            finished: false,
            buffer: VecDeque::new(),
        };
        futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(item) = st.buffer.pop_front() {
                    return Some((Ok(item), st));
                }
                if st.finished {
                    return None;
                }
                match st.req.fetch(st.offset.as_deref()).await {
                    Ok(page) => {
                        for (gid, item) in page.items {
                            if st.seen.insert(gid) {
                                st.buffer.push_back(item);
                            }
                        }
                        match page.next_offset {
                            Some(next) => st.offset = Some(next),
                            None => st.finished = true,
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::OffsetExpired => {
                        if st.restarts >= st.max_restarts {
                            st.finished = true;
                            let e = e.with_detail(format!(
                                "offset still expiring after {} restart(s) of the listing",
                                st.restarts
                            ));
                            return Some((Err(e), st));
                        }
                        st.restarts += 1;
                        st.req.transport.metrics.list_restart();
                        tracing::warn!(
                            route = st.req.route,
                            restart = st.restarts,
                            already_yielded = st.seen.len(),
                            "pagination offset expired; restarting the listing from the first page"
                        );
                        st.offset = None;
                    }
                    Err(e) => {
                        st.finished = true;
                        return Some((Err(e), st));
                    }
                }
            }
        })
    }

    /// Every item of the list, or the first error.
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        self.stream().try_collect().await
    }
}

struct StreamState<T> {
    req: ListRequest<T>,
    max_restarts: u32,
    offset: Option<String>,
    seen: HashSet<String>,
    restarts: u32,
    finished: bool,
    buffer: VecDeque<T>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::User;

    #[test]
    fn end_only_at_explicit_null() {
        let p = decode_page::<User>(br#"{"data":[{"gid":"1","name":"A"}],"next_page":null}"#)
            .ok()
            .unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.next_offset, None);

        let p = decode_page::<User>(
            br#"{"data":[],"next_page":{"offset":"eyJ","path":"/bad/api/1.0/x","uri":"u"}}"#,
        )
        .ok()
        .unwrap();
        assert_eq!(p.next_offset.as_deref(), Some("eyJ"));

        for bad in [
            &br#"{"data":[{"gid":"1"}]}"#[..],
            br#"{"data":[{"gid":"1"}],"next_page":{}}"#,
            br#"{"data":[{"gid":"1"}],"next_page":{"offset":""}}"#,
            br#"{"data":[{"name":"no gid"}],"next_page":null}"#,
            br#"{"data":[{"gid":7}],"next_page":null}"#,
            br#"{"next_page":null}"#,
            br#"{"data":{"gid":"1"},"next_page":null}"#,
        ] {
            assert!(
                matches!(decode_page::<User>(bad), Err(DecodeError::Protocol(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            decode_page::<User>(br#"{"data":[{"gid":"1"}],"next_pa"#),
            Err(DecodeError::Syntax(_))
        ));
        assert!(matches!(
            decode_page::<User>(b"<html>"),
            Err(DecodeError::Syntax(_))
        ));
    }
}
