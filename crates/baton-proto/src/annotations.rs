//! Packing messages into `google.protobuf.Any` annotations and finding them again.
//!
//! baton stores traits and flags (UserTrait, GrantImmutable, ...) as
//! `repeated google.protobuf.Any`, each with the type URL
//! `type.googleapis.com/<full message name>` and the message's binary encoding.

use pbjson_types::Any;
use prost::{Message, Name};

/// An annotation could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("annotation {type_url} is not a valid {expected}: {source}")]
    Decode {
        type_url: String,
        expected: String,
        #[source]
        source: prost::DecodeError,
    },
}

/// Wraps `message` as an `Any` with baton's type URL.
pub fn pack_any<M: Message + Name>(message: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: message.encode_to_vec().into(),
    }
}

/// Decodes `any` as `M` if its type URL names `M`; `Ok(None)` if it holds another type.
pub fn unpack_any<M: Message + Name + Default>(any: &Any) -> Result<Option<M>, AnnotationError> {
    if !type_url_names::<M>(&any.type_url) {
        return Ok(None);
    }
    M::decode(any.value.as_ref())
        .map(Some)
        .map_err(|source| AnnotationError::Decode {
            type_url: any.type_url.clone(),
            expected: M::full_name(),
            source,
        })
}

/// The first annotation of type `M` in `annotations`, if any.
pub fn find_annotation<M: Message + Name + Default>(
    annotations: &[Any],
) -> Result<Option<M>, AnnotationError> {
    for any in annotations {
        if let Some(found) = unpack_any::<M>(any)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Whether a type URL names message `M` (any domain prefix is accepted, as in Go's anypb).
fn type_url_names<M: Name>(type_url: &str) -> bool {
    let name = type_url.rsplit('/').next().unwrap_or(type_url);
    name == M::full_name()
}

/// A list of annotations with baton's `Update` (replace same type, else append) semantics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations(pub Vec<Any>);

impl Annotations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `message`, even if one of its type is already present.
    pub fn append<M: Message + Name>(&mut self, message: &M) -> &mut Self {
        self.0.push(pack_any(message));
        self
    }

    /// Replaces the first annotation of `message`'s type, or appends it.
    pub fn update<M: Message + Name>(&mut self, message: &M) -> &mut Self {
        let packed = pack_any(message);
        match self.0.iter_mut().find(|a| type_url_names::<M>(&a.type_url)) {
            Some(existing) => *existing = packed,
            None => self.0.push(packed),
        }
        self
    }

    /// Whether an annotation of type `M` is present.
    pub fn contains<M: Name>(&self) -> bool {
        self.0.iter().any(|a| type_url_names::<M>(&a.type_url))
    }

    /// The first annotation of type `M`, decoded.
    pub fn get<M: Message + Name + Default>(&self) -> Result<Option<M>, AnnotationError> {
        find_annotation(&self.0)
    }

    /// Removes every annotation of type `M`, returning the first one decoded.
    pub fn take<M: Message + Name + Default>(&mut self) -> Result<Option<M>, AnnotationError> {
        let found = find_annotation::<M>(&self.0)?;
        self.0.retain(|a| !type_url_names::<M>(&a.type_url));
        Ok(found)
    }

    pub fn into_vec(self) -> Vec<Any> {
        self.0
    }
}

impl From<Vec<Any>> for Annotations {
    fn from(value: Vec<Any>) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::{ChildResourceType, GrantImmutable, UserTrait};

    #[test]
    fn packs_with_baton_type_url() {
        let any = pack_any(&ChildResourceType {
            resource_type_id: "user".into(),
        });
        assert_eq!(
            any.type_url,
            "type.googleapis.com/c1.connector.v2.ChildResourceType"
        );
        let back: ChildResourceType = unpack_any(&any).unwrap().unwrap();
        assert_eq!(back.resource_type_id, "user");
        assert!(unpack_any::<UserTrait>(&any).unwrap().is_none());
    }

    #[test]
    fn update_replaces_same_type_and_append_keeps_both() {
        let mut a = Annotations::new();
        a.append(&ChildResourceType {
            resource_type_id: "user".into(),
        });
        a.append(&ChildResourceType {
            resource_type_id: "team".into(),
        });
        assert_eq!(a.0.len(), 2);
        a.update(&GrantImmutable::default());
        a.update(&GrantImmutable {
            source_id: "x".into(),
            metadata: None,
        });
        assert_eq!(a.0.len(), 3);
        assert_eq!(a.get::<GrantImmutable>().unwrap().unwrap().source_id, "x");
        let taken = a.take::<GrantImmutable>().unwrap();
        assert!(taken.is_some());
        assert!(!a.contains::<GrantImmutable>());
    }

    #[test]
    fn corrupt_annotation_is_an_error_not_a_panic() {
        let any = Any {
            type_url: "type.googleapis.com/c1.connector.v2.UserTrait".into(),
            value: vec![0xff, 0xff, 0xff].into(),
        };
        assert!(unpack_any::<UserTrait>(&any).is_err());
    }
}
