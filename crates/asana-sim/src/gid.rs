//! Asana gids are decimal strings; lists sorted "by gid" are sorted numerically.

use std::cmp::Ordering;

/// Numeric order for decimal gids (shorter is smaller), byte order as a tie-breaker, which keeps a
/// total order even for non-numeric gids a test may inject.
pub fn gid_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Hands out fresh gids above every gid already in use, so new objects sort last.
#[derive(Clone, Debug)]
pub struct GidAllocator {
    next: u64,
}

impl GidAllocator {
    pub fn starting_at(first: u64) -> Self {
        GidAllocator { next: first }
    }

    /// Starts after the largest numeric gid among `existing` (or at `floor`).
    pub fn after<'a>(existing: impl IntoIterator<Item = &'a str>, floor: u64) -> Self {
        let max = existing
            .into_iter()
            .filter_map(|gid| gid.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        GidAllocator {
            next: max.saturating_add(1).max(floor),
        }
    }

    /// The gid the next call to [`GidAllocator::next_gid`] returns, as a number.
    pub fn peek(&self) -> u64 {
        self.next
    }

    pub fn next_gid(&mut self) -> String {
        let gid = self.next.to_string();
        self.next = self.next.saturating_add(1);
        gid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_order_beats_lexicographic_order() {
        assert_eq!(gid_cmp("9", "10"), Ordering::Less);
        assert_eq!(gid_cmp("1200", "1199"), Ordering::Greater);
        assert_eq!(gid_cmp("42", "42"), Ordering::Equal);
    }

    #[test]
    fn allocator_starts_above_existing() {
        let mut alloc = GidAllocator::after(["5", "17", "x"], 3);
        assert_eq!(alloc.next_gid(), "18");
        assert_eq!(alloc.next_gid(), "19");
        let mut floor = GidAllocator::after(["5"], 100);
        assert_eq!(floor.next_gid(), "100");
    }
}
