//! The c1z v1 envelope: the 5-byte magic `C1ZF\0`, then one zstd frame whose
//! content is a SQLite database file.
//!
//! Decoding streams to disk with a hard cap on the decoded size (the frame
//! header's content size is checked first, so a bomb is refused before any
//! work), and a window limit of 128 MiB like the Go decoder. Encoding streams
//! the database file through a single-threaded zstd encoder that records the
//! content size and a checksum in the frame, as baton-sdk v0.25 does.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{io_err, Error, Result};

/// `C1ZF\0`: a c1z v1 file (zstd-compressed SQLite).
pub const MAGIC_V1: &[u8; 5] = b"C1ZF\0";
/// `C1Z3\0`: baton-sdk's v3 format (a Pebble checkpoint), which we do not read.
pub const MAGIC_V3: &[u8; 5] = b"C1Z3\0";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The largest window the Go reader accepts (`WithDecoderMaxMemory(128 MiB)`).
const WINDOW_LOG_MAX: u32 = 27;
/// zstd level 3 is klauspost's "SpeedDefault", what baton-sdk writes.
pub const COMPRESSION_LEVEL: i32 = 3;
/// Enough bytes for any zstd frame header.
const FRAME_HEADER_MAX: u64 = 18;
const COPY_BUFFER: usize = 1 << 20;

/// Decompresses the c1z at `src` into a new file `dst` (which must not exist)
/// and returns the database size. A missing or empty `src` means a new, empty
/// database: it returns 0 and creates nothing.
pub(crate) fn decode_file(src: &Path, dst: &Path, max_decoded: u64) -> Result<u64> {
    let mut file = match File::open(src) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("open", src)(e)),
    };
    let len = file
        .metadata()
        .map_err(io_err("read metadata of", src))?
        .len();
    if len == 0 {
        return Ok(0);
    }
    check_magic(src, &mut file)?;

    let mut header = Vec::with_capacity(FRAME_HEADER_MAX as usize);
    (&mut file)
        .take(FRAME_HEADER_MAX)
        .read_to_end(&mut header)
        .map_err(io_err("read", src))?;
    if header.is_empty() {
        return Err(Error::Truncated {
            path: src.to_owned(),
            detail: "nothing after the C1ZF magic".to_owned(),
        });
    }
    if header.len() >= 4 && header[..4] != ZSTD_MAGIC {
        return Err(Error::Corrupt {
            path: src.to_owned(),
            detail: "the data after the magic is not a zstd frame".to_owned(),
        });
    }
    let declared = zstd::zstd_safe::get_frame_content_size(&header)
        .ok()
        .flatten();
    if let Some(size) = declared {
        if size > max_decoded {
            return Err(Error::TooLarge {
                path: src.to_owned(),
                limit: max_decoded,
                found: format!(" (frame header says {size} bytes)"),
            });
        }
    }

    let stream = io::Cursor::new(header).chain(file);
    let mut decoder =
        zstd::stream::read::Decoder::new(stream).map_err(io_err("start decoding", src))?;
    decoder
        .window_log_max(WINDOW_LOG_MAX)
        .map_err(io_err("configure the decoder for", src))?;

    let mut out = create_private(dst)?;
    let written = copy_capped(&mut decoder, &mut out, src, dst, max_decoded)?;
    out.flush().map_err(io_err("write", dst))?;
    if let Some(size) = declared {
        if size != written {
            return Err(Error::Corrupt {
                path: src.to_owned(),
                detail: format!("frame header says {size} bytes but {written} decoded"),
            });
        }
    }
    if written > 0 {
        check_sqlite_header(src, dst)?;
    }
    tracing::debug!(src = %src.display(), compressed = len, decoded = written, "c1z: decoded");
    Ok(written)
}

fn check_magic(src: &Path, file: &mut File) -> Result<()> {
    let mut magic = Vec::with_capacity(MAGIC_V1.len());
    file.take(MAGIC_V1.len() as u64)
        .read_to_end(&mut magic)
        .map_err(io_err("read", src))?;
    if magic.as_slice() == MAGIC_V1 {
        return Ok(());
    }
    if magic.as_slice() == MAGIC_V3 {
        return Err(Error::PebbleFormat {
            path: src.to_owned(),
        });
    }
    if magic.len() < MAGIC_V1.len() && MAGIC_V1.starts_with(&magic) {
        return Err(Error::Truncated {
            path: src.to_owned(),
            detail: format!("only {} bytes", magic.len()),
        });
    }
    let found = if SQLITE_MAGIC.starts_with(&magic) {
        "it is a plain SQLite database; baton's `dump-db` output is not a c1z".to_owned()
    } else {
        format!("it starts with {}", hex_prefix(&magic))
    };
    Err(Error::NotC1z {
        path: src.to_owned(),
        found,
    })
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Copies `reader` into `out`, failing as soon as more than `max` bytes appear.
fn copy_capped(
    reader: &mut impl Read,
    out: &mut File,
    src: &Path,
    dst: &Path,
    max: u64,
) -> Result<u64> {
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(decode_error(src, e)),
        };
        total += n as u64;
        if total > max {
            return Err(Error::TooLarge {
                path: src.to_owned(),
                limit: max,
                found: String::new(),
            });
        }
        out.write_all(&buf[..n]).map_err(io_err("write", dst))?;
    }
}

/// Turns a zstd read error into "truncated" or "corrupt".
fn decode_error(src: &Path, e: io::Error) -> Error {
    let detail = format!("zstd: {e}");
    if e.kind() == io::ErrorKind::UnexpectedEof || detail.contains("incomplete frame") {
        Error::Truncated {
            path: src.to_owned(),
            detail,
        }
    } else {
        Error::Corrupt {
            path: src.to_owned(),
            detail,
        }
    }
}

fn check_sqlite_header(src: &Path, dst: &Path) -> Result<()> {
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    File::open(dst)
        .and_then(|f| f.take(SQLITE_MAGIC.len() as u64).read_to_end(&mut head))
        .map_err(io_err("read", dst))?;
    if head.as_slice() != SQLITE_MAGIC {
        return Err(Error::Corrupt {
            path: src.to_owned(),
            detail: "the decompressed content is not a SQLite database".to_owned(),
        });
    }
    Ok(())
}

/// Creates `path` (which must not exist) readable by the owner only.
pub(crate) fn create_private(path: &Path) -> Result<File> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io_err("create", path))
}

/// Writes the c1z envelope of the database file `db` to `out`: magic, then one
/// zstd frame with content size and checksum. Returns the database size.
pub(crate) fn encode_file(db: &Path, out: &mut impl Write) -> Result<u64> {
    let mut input = File::open(db).map_err(io_err("open", db))?;
    let db_bytes = input
        .metadata()
        .map_err(io_err("read metadata of", db))?
        .len();
    out.write_all(MAGIC_V1)
        .map_err(io_err("write the c1z for", db))?;
    let mut encoder = zstd::stream::write::Encoder::new(out, COMPRESSION_LEVEL)
        .map_err(io_err("start compressing", db))?;
    // Checksum so corruption is detected on read; content size like baton-sdk
    // v0.25; no long-distance mode so the window stays within the Go limit.
    let configured: io::Result<()> = (|| {
        encoder.include_checksum(true)?;
        encoder.include_contentsize(true)?;
        encoder.long_distance_matching(false)?;
        encoder.set_pledged_src_size(Some(db_bytes))
    })();
    configured.map_err(io_err("configure the compressor for", db))?;
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut copied: u64 = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err("read", db)(e)),
        };
        copied += n as u64;
        encoder
            .write_all(&buf[..n])
            .map_err(io_err("compress", db))?;
    }
    if copied != db_bytes {
        return Err(Error::InvalidArgument(format!(
            "{} changed size while it was being compressed ({db_bytes} then {copied} bytes); \
             nothing else may write the working database during save",
            db.display()
        )));
    }
    encoder.finish().map_err(io_err("finish compressing", db))?;
    Ok(db_bytes)
}
