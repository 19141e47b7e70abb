//! The reader never panics and always says what is wrong: random bytes,
//! truncations and corruptions of a valid file, decompression bombs, other
//! file kinds. The working dir is removed after every failed open.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use c1z::{C1zStore, Error, OpenOptions};
use proptest::prelude::*;

/// A small but complete c1z (one finished sync with a few rows of each kind).
fn valid_c1z(dir: &Path) -> Vec<u8> {
    let path = dir.join("valid.c1z");
    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    let team = common::group(1);
    store
        .write_batch(
            &run.sync_id,
            &c1z::WriteBatch {
                resource_types: vec![common::user_type(), common::group_type()],
                resources: vec![team.clone(), common::user(1)],
                entitlements: vec![common::entitlement(&team, "member")],
                grants: vec![common::grant(&team, "member", &common::user_id(1))],
            },
            None,
        )
        .unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(&path).unwrap();
    std::fs::read(&path).unwrap()
}

struct Sandbox {
    _dir: tempfile::TempDir,
    file: PathBuf,
    temp: PathBuf,
}

fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("work");
    std::fs::create_dir(&temp).unwrap();
    Sandbox {
        file: dir.path().join("input.c1z"),
        temp,
        _dir: dir,
    }
}

/// Opens `bytes` as a c1z; checks the error is one clean line and nothing is left behind.
fn open_bytes(sb: &Sandbox, bytes: &[u8], max: u64) -> Result<(), Error> {
    std::fs::write(&sb.file, bytes).unwrap();
    let opts = OpenOptions {
        temp_dir: Some(sb.temp.clone()),
        max_decoded_size: max,
        read_only: false,
    };
    let result = C1zStore::open(&sb.file, &opts).and_then(|store| {
        // Reading must not panic either, whatever the content.
        for run in store.list_sync_runs()? {
            store.stats(&run.sync_id)?;
            store.list_grants(&run.sync_id, &c1z::GrantFilter::default())?;
        }
        Ok(())
    });
    let left: Vec<_> = std::fs::read_dir(&sb.temp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "working dir left behind: {left:?}");
    if let Err(e) = &result {
        let message = e.to_string();
        assert!(!message.contains('\n'), "multi-line error: {message}");
        assert!(!message.is_empty());
    }
    result
}

const BIG: u64 = 1 << 30;

#[test]
fn missing_and_empty_files_are_new_empty_stores() {
    let sb = sandbox();
    open_bytes(&sb, b"", BIG).unwrap();
    let store =
        C1zStore::open(&sb.temp.join("does-not-exist.c1z"), &OpenOptions::default()).unwrap();
    assert!(store.list_sync_runs().unwrap().is_empty());
}

#[test]
fn short_and_foreign_files_get_named_errors() {
    let sb = sandbox();
    assert!(matches!(
        open_bytes(&sb, b"C1Z", BIG),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        open_bytes(&sb, b"C1ZF\0", BIG),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        open_bytes(&sb, b"C1ZF\0\x28\xb5", BIG),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        open_bytes(&sb, b"PK\x03\x04zip", BIG),
        Err(Error::NotC1z { .. })
    ));
    assert!(matches!(
        open_bytes(&sb, b"C1ZF\0hello world", BIG),
        Err(Error::Corrupt { .. })
    ));

    // A raw SQLite file (e.g. `baton dump-db` output) is recognised as such.
    let db = sb.temp.join("plain.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("create table t (x)")
        .unwrap();
    let bytes = std::fs::read(&db).unwrap();
    std::fs::remove_file(&db).unwrap();
    let err = open_bytes(&sb, &bytes, BIG).unwrap_err();
    assert!(
        matches!(err, Error::NotC1z { .. }) && err.to_string().contains("SQLite"),
        "{err}"
    );

    // A valid zstd frame whose content is not a database.
    let mut not_db = b"C1ZF\0".to_vec();
    not_db.extend(zstd::encode_all(&b"definitely not sqlite"[..], 3).unwrap());
    let err = open_bytes(&sb, &not_db, BIG).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn a_database_with_a_valid_header_but_garbage_pages_is_an_error() {
    let sb = sandbox();
    let mut db = b"SQLite format 3\0".to_vec();
    db.extend(std::iter::repeat_n(0xa5u8, 8192));
    let mut bytes = b"C1ZF\0".to_vec();
    bytes.extend(zstd::encode_all(db.as_slice(), 3).unwrap());
    assert!(open_bytes(&sb, &bytes, BIG).is_err());
}

#[test]
fn decompression_bombs_are_refused() {
    let sb = sandbox();
    let zeros = vec![0u8; 8 << 20];
    // With the content size in the frame header: refused before decoding.
    let mut declared = b"C1ZF\0".to_vec();
    declared.extend(zstd::bulk::compress(&zeros, 3).unwrap());
    let err = open_bytes(&sb, &declared, 1 << 20).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(
        err.to_string().contains("frame header says 8388608 bytes"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("BATON_DECODER_MAX_DECODED_SIZE_MB"),
        "{err}"
    );

    // Without it: stopped as soon as the cap is passed, partial output removed.
    let mut streamed = b"C1ZF\0".to_vec();
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.include_contentsize(false).unwrap();
    encoder.write_all(&zeros).unwrap();
    streamed.extend(encoder.finish().unwrap());
    assert_eq!(
        zstd::zstd_safe::get_frame_content_size(&streamed[5..]).unwrap(),
        None
    );
    let err = open_bytes(&sb, &streamed, 1 << 20).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}

#[test]
fn every_truncation_of_a_valid_file_is_an_error() {
    let sb = sandbox();
    let valid = valid_c1z(&sb.temp);
    std::fs::remove_file(sb.temp.join("valid.c1z")).unwrap();
    open_bytes(&sb, &valid, BIG).unwrap();
    // Every cut in the header region, then a stride through the rest.
    let cuts = (1..64).chain((64..valid.len()).step_by(37));
    for cut in cuts {
        let err = open_bytes(&sb, &valid[..cut], BIG).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { .. } | Error::Corrupt { .. }),
            "cut at {cut}: {err:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), magic in any::<bool>()) {
        let sb = sandbox();
        let mut input = if magic { b"C1ZF\0".to_vec() } else { Vec::new() };
        input.extend(bytes);
        let _ = open_bytes(&sb, &input, BIG);
    }

    #[test]
    fn random_truncations_and_bit_flips_never_panic(cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let sb = sandbox();
        let valid = valid_c1z(&sb.temp);
        std::fs::remove_file(sb.temp.join("valid.c1z")).unwrap();
        let cut = cut.index(valid.len());
        prop_assert!(open_bytes(&sb, &valid[..cut], BIG).is_err());
        let mut flipped = valid.clone();
        let at = flip.index(flipped.len());
        flipped[at] ^= 1 << bit;
        // Checksummed frames make nearly every flip an error; none may panic.
        let _ = open_bytes(&sb, &flipped, BIG);
    }
}
