//! `google.protobuf.Struct`, `Value` and `ListValue` with sorted maps (so
//! encodings are deterministic, like Go's deterministic marshalling) and
//! their protojson forms: a Struct is a JSON object, a Value any JSON value.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::{value::Kind, ListValue, NullValue, Struct, Value};

impl From<Kind> for Value {
    fn from(kind: Kind) -> Self {
        Value { kind: Some(kind) }
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Kind::StringValue(value).into()
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Kind::StringValue(value.to_owned()).into()
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Kind::BoolValue(value).into()
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Kind::NumberValue(value).into()
    }
}

impl From<Struct> for Value {
    fn from(value: Struct) -> Self {
        Kind::StructValue(value).into()
    }
}

impl From<Vec<Value>> for Value {
    fn from(values: Vec<Value>) -> Self {
        Kind::ListValue(ListValue { values }).into()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Struct {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Struct {
            fields: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Serialize for Struct {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for ListValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.values.len()))?;
        for v in &self.values {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            None | Some(Kind::NullValue(_)) => serializer.serialize_unit(),
            Some(Kind::NumberValue(n)) => serializer.serialize_f64(*n),
            Some(Kind::StringValue(s)) => serializer.serialize_str(s),
            Some(Kind::BoolValue(b)) => serializer.serialize_bool(*b),
            Some(Kind::StructValue(s)) => s.serialize(serializer),
            Some(Kind::ListValue(l)) => l.serialize(serializer),
        }
    }
}

fn from_json(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Kind::NullValue(NullValue::NullValue as i32).into(),
        serde_json::Value::Bool(b) => b.into(),
        serde_json::Value::Number(n) => n.as_f64().unwrap_or_default().into(),
        serde_json::Value::String(s) => s.into(),
        serde_json::Value::Array(items) => {
            items.into_iter().map(from_json).collect::<Vec<_>>().into()
        }
        serde_json::Value::Object(map) => Struct {
            fields: map.into_iter().map(|(k, v)| (k, from_json(v))).collect(),
        }
        .into(),
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(from_json)
    }
}

impl<'de> Deserialize<'de> for Struct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
        Ok(Struct {
            fields: fields.into_iter().map(|(k, v)| (k, from_json(v))).collect(),
        })
    }
}

impl<'de> Deserialize<'de> for ListValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
        Ok(ListValue {
            values: values.into_iter().map(from_json).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn encoding_is_independent_of_insertion_order() {
        let a: Struct = [("b", Value::from("2")), ("a", Value::from(true))]
            .into_iter()
            .collect();
        let b: Struct = [("a", Value::from(true)), ("b", Value::from("2"))]
            .into_iter()
            .collect();
        assert_eq!(a.encode_to_vec(), b.encode_to_vec());
    }

    #[test]
    fn protojson_form_is_a_plain_object() {
        let s: Struct = [
            ("name", Value::from("Ada")),
            ("admin", Value::from(true)),
            ("n", Value::from(2.0)),
            ("list", Value::from(vec![Value::from("x")])),
        ]
        .into_iter()
        .collect();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name":"Ada","admin":true,"n":2.0,"list":["x"]})
        );
        let back: Struct = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }
}
