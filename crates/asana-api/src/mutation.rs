//! Writes that are never retried blindly.
//!
//! Every mutation first reads the current state; if it already holds, nothing is sent and the
//! result is [`MutationOutcome::AlreadyInState`]. Otherwise the write is sent once. When its fate is
//! unknown — a 5xx, a timeout, a broken connection, a 2xx whose body could not be read — the state
//! is read back (at high priority) to decide: applied → [`MutationOutcome::Applied`]; not applied →
//! the write is sent again after a backoff, up to `retry.max_attempts` writes in all; the read-back
//! itself failing → the original error, with the verification failure in its detail. Final errors
//! (400/401/402/403/404, 429 after its retries) are returned as they are.

use std::future::Future;

use crate::error::{Error, ErrorKind};
use crate::http::{ApiRequest, DecodeError, Transport};
use crate::retry::WaitHint;

/// What a mutation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutationOutcome<T> {
    /// The change was made (possibly confirmed by reading state back after an ambiguous failure).
    Applied(T),
    /// Nothing to do: already a member / already not a member. Holds the existing record if any.
    AlreadyInState(Option<T>),
}

impl<T> MutationOutcome<T> {
    /// True when this call changed Asana.
    pub fn was_applied(&self) -> bool {
        matches!(self, MutationOutcome::Applied(_))
    }

    /// The record, if any.
    pub fn into_inner(self) -> Option<T> {
        match self {
            MutationOutcome::Applied(t) => Some(t),
            MutationOutcome::AlreadyInState(t) => t,
        }
    }
}

/// A 404 that Asana attributes to the user parameter (`user: Unknown object: ...`,
/// `user_gid: ...`): the user does not exist or is invisible, so they are not a member of anything
/// we can see. Any other 404 (the workspace or team itself) stays an error.
pub(crate) fn is_unknown_user(e: &Error) -> bool {
    e.kind() == ErrorKind::NotFound
        && e.asana_messages().iter().any(|m| {
            let m = m.trim_start();
            m.starts_with("user:") || m.starts_with("user_gid:")
        })
}

/// A pre-check that cannot find the user (or the object) must not stop an *add*: the write is
/// the authoritative answer (Asana invites unknown e-mail addresses; a missing workspace or team
/// answers 404 to the write as well).
pub(crate) fn absent_if_not_found<T>(r: Result<Option<T>, Error>) -> Result<Option<T>, Error> {
    match r {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        other => other,
    }
}

/// A failure after which the write may or may not have taken effect.
pub(crate) fn is_ambiguous(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Server
            | ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::MalformedResponse
    )
}

/// Send `req` (a write); on an ambiguous failure ask `verify` whether it took effect.
pub(crate) async fn write_verified<R, V, Fut>(
    transport: &Transport,
    req: &ApiRequest,
    decode: impl Fn(&[u8]) -> Result<R, DecodeError>,
    verify: V,
) -> Result<R, Error>
where
    V: Fn() -> Fut,
    Fut: Future<Output = Result<Option<R>, Error>>,
{
    let mut writes: u32 = 0;
    loop {
        writes += 1;
        let err = match transport.execute(req, &decode).await {
            Ok(r) => return Ok(r),
            Err(e) if is_ambiguous(&e) => e,
            Err(e) => return Err(e),
        };
        transport.metrics.write_verification();
        let pause = {
            let mut rng = rand::rng();
            transport.retry.delay(writes, WaitHint::Backoff, &mut rng)
        };
        tracing::warn!(
            route = req.route,
            error = %err,
            "write outcome unknown; reading state back to decide"
        );
        // Give a write that is still being processed a moment to land before looking.
        tokio::time::sleep(pause).await;
        match verify().await {
            Ok(Some(r)) => {
                tracing::info!(route = req.route, "write confirmed by reading state back");
                return Ok(r);
            }
            Ok(None) if writes < transport.retry.max_attempts => {
                tracing::info!(
                    route = req.route,
                    "write not applied according to state read back; sending it again"
                );
            }
            Ok(None) => {
                return Err(err.with_detail(format!(
                    "state read back after {writes} write attempt(s) shows it was not applied"
                )))
            }
            Err(ve) => {
                return Err(err.with_detail(format!("state could not be read back: {ve}")));
            }
        }
    }
}
