//! Deterministic fault and latency draws: each is a pure function of the seed, the request's
//! sequence number and what is being drawn, so a sequential client replays identically.

use std::time::Duration;

use crate::config::{FaultConfig, LatencyConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InjectedFault {
    Spurious429,
    ConnectionReset,
    ServerError { status: u16 },
    TruncatedBody,
}

#[derive(Clone, Copy)]
enum Draw {
    Spurious429 = 1,
    Reset = 2,
    ServerError = 3,
    Truncate = 4,
    ServerErrorKind = 5,
    Latency = 6,
    Phrase = 7,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn draw_bits(seed: u64, sequence: u64, draw: Draw) -> u64 {
    splitmix64(splitmix64(seed ^ splitmix64(sequence)) ^ (draw as u64))
}

/// Uniform in `[0, 1)`.
fn unit(seed: u64, sequence: u64, draw: Draw) -> f64 {
    (draw_bits(seed, sequence, draw) >> 11) as f64 / (1u64 << 53) as f64
}

/// The fault (if any) for request number `sequence`. Kinds are drawn independently in a fixed
/// order; the first that hits wins.
pub(crate) fn pick_fault(config: &FaultConfig, seed: u64, sequence: u64) -> Option<InjectedFault> {
    if !config.any_rate() {
        return None;
    }
    if unit(seed, sequence, Draw::Spurious429) < config.spurious_429_rate {
        return Some(InjectedFault::Spurious429);
    }
    if unit(seed, sequence, Draw::Reset) < config.connection_reset_rate {
        return Some(InjectedFault::ConnectionReset);
    }
    if unit(seed, sequence, Draw::ServerError) < config.server_error_rate {
        let status = if unit(seed, sequence, Draw::ServerErrorKind) < 0.5 {
            500
        } else {
            503
        };
        return Some(InjectedFault::ServerError { status });
    }
    if unit(seed, sequence, Draw::Truncate) < config.truncated_body_rate {
        return Some(InjectedFault::TruncatedBody);
    }
    None
}

/// `base` plus a uniform share of `jitter`.
pub(crate) fn latency(config: LatencyConfig, seed: u64, sequence: u64) -> Duration {
    if config.jitter.is_zero() {
        return config.base;
    }
    config.base + config.jitter.mul_f64(unit(seed, sequence, Draw::Latency))
}

const PHRASE_ADJECTIVES: [&str; 12] = [
    "sad", "happy", "sleepy", "brave", "quiet", "fuzzy", "shiny", "grumpy", "calm", "eager",
    "gentle", "odd",
];
const PHRASE_NOUNS: [&str; 12] = [
    "squid", "otters", "pandas", "llamas", "robins", "koalas", "ferrets", "geckos", "herons",
    "moles", "yaks", "crabs",
];
const PHRASE_VERBS: [&str; 12] = [
    "snuggle", "wander", "giggle", "ponder", "tumble", "whistle", "shimmer", "dance", "sneeze",
    "nap", "hum", "drift",
];
const PHRASE_ADVERBS: [&str; 12] = [
    "softly", "boldly", "slowly", "quickly", "gladly", "warily", "oddly", "calmly", "loudly",
    "neatly", "dimly", "merrily",
];

/// A support phrase in the style of Asana's 500 answers, e.g. `6 sad squid snuggle softly`.
pub(crate) fn error_phrase(seed: u64, sequence: u64) -> String {
    let bits = draw_bits(seed, sequence, Draw::Phrase);
    let pick = |shift: u32, len: usize| ((bits >> shift) as usize) % len;
    format!(
        "{} {} {} {} {}",
        2 + pick(0, 30),
        PHRASE_ADJECTIVES[pick(8, PHRASE_ADJECTIVES.len())],
        PHRASE_NOUNS[pick(16, PHRASE_NOUNS.len())],
        PHRASE_VERBS[pick(24, PHRASE_VERBS.len())],
        PHRASE_ADVERBS[pick(32, PHRASE_ADVERBS.len())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(rate: f64) -> FaultConfig {
        FaultConfig {
            server_error_rate: rate,
            connection_reset_rate: rate,
            truncated_body_rate: rate,
            spurious_429_rate: rate,
            ..FaultConfig::default()
        }
    }

    #[test]
    fn draws_are_deterministic_per_seed() {
        let config = rates(0.1);
        let run = |seed| {
            (0..500)
                .map(|s| pick_fault(&config, seed, s))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
    }

    #[test]
    fn rates_are_roughly_honoured_and_every_kind_occurs() {
        let config = FaultConfig {
            server_error_rate: 0.2,
            ..FaultConfig::default()
        };
        let hits = (0..10_000)
            .filter(|&s| pick_fault(&config, 1, s).is_some())
            .count();
        assert!((1700..2300).contains(&hits), "{hits}");
        let all = rates(0.2);
        let kinds: Vec<_> = (0..2000).filter_map(|s| pick_fault(&all, 1, s)).collect();
        for kind in [
            InjectedFault::Spurious429,
            InjectedFault::ConnectionReset,
            InjectedFault::ServerError { status: 500 },
            InjectedFault::ServerError { status: 503 },
            InjectedFault::TruncatedBody,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} never drawn");
        }
        assert!((0..1000).all(|s| pick_fault(&FaultConfig::default(), 1, s).is_none()));
        assert!(
            (0..1000).all(|s| pick_fault(&rates(1.0), 1, s) == Some(InjectedFault::Spurious429))
        );
    }

    #[test]
    fn latency_stays_within_base_plus_jitter() {
        let config = LatencyConfig {
            base: Duration::from_millis(10),
            jitter: Duration::from_millis(5),
        };
        for s in 0..200 {
            let d = latency(config, 3, s);
            assert!(d >= config.base && d <= config.base + config.jitter);
        }
        assert_eq!(latency(LatencyConfig::default(), 3, 1), Duration::ZERO);
    }

    #[test]
    fn phrases_look_like_asanas() {
        let phrase = error_phrase(1, 2);
        assert_eq!(phrase.split(' ').count(), 5);
        assert!(phrase.split(' ').next().unwrap().parse::<u32>().is_ok());
        assert_eq!(phrase, error_phrase(1, 2));
    }
}
