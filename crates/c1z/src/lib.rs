//! The `.c1z` v1 file: a zstd-compressed SQLite database of baton sync data.
