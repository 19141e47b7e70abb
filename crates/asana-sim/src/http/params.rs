//! Query-string handling with Asana's conventions: empty values count as absent, `opt_fields`
//! may repeat, and pagination parameters are not part of a list's identity.

/// Parameters that shape a page rather than select a list.
const PAGING_PARAMS: [&str; 4] = ["limit", "offset", "opt_fields", "opt_pretty"];

#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Params { pairs }
    }

    /// The last non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Every `opt_fields` value joined with commas.
    pub fn opt_fields(&self) -> String {
        self.pairs
            .iter()
            .filter(|(key, _)| key == "opt_fields")
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Identifies the list: the filters, sorted, without paging parameters.
    pub fn filters_key(&self) -> String {
        let mut filters: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(key, value)| {
                !PAGING_PARAMS.contains(&key.as_str()) && !value.trim().is_empty()
            })
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        filters.sort_unstable();
        filters.dedup_by(|a, b| a.0 == b.0);
        filters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The query string to reach the next page: the same parameters with a new `offset`.
    pub fn with_offset(&self, offset: &str) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.pairs.iter().filter(|(key, _)| key != "offset") {
            out.append_pair(key, value);
        }
        out.append_pair("offset", offset);
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let p = Params::parse(Some(
            "limit=5&workspace=&workspace=12&opt_fields=a%2Cb&opt_fields=c&team=3",
        ));
        assert_eq!(p.get("workspace"), Some("12"));
        assert_eq!(p.get("limit"), Some("5"));
        assert_eq!(p.get("missing"), None);
        assert_eq!(p.opt_fields(), "a,b,c");
        assert_eq!(p.filters_key(), "team=3&workspace=12");
        let next = p.with_offset("eyJ.x.y");
        assert!(
            next.contains("offset=eyJ.x.y")
                && next.contains("limit=5")
                && next.contains("opt_fields=a%2Cb")
        );
        assert_eq!(Params::parse(None).filters_key(), "");
    }
}
