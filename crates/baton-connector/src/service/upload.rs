//! UploadAsset: one metadata message, the file in chunks of 512 KiB (the
//! last one shorter), then an EOF message with the SHA-256 of the whole
//! file. The EOF is only sent after every byte was read and sent, and a
//! failed or cancelled upload resets the stream, so ConductorOne never
//! receives a partial file as complete.

use std::path::{Path, PathBuf};

use baton_proto::baton_v1::baton_service_upload_asset_request::{
    Msg, UploadData, UploadEof, UploadMetadata,
};
use baton_proto::baton_v1::BatonServiceUploadAssetRequest;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use super::rpc::{C1Client, RpcError};

/// Size of every data message but the last.
pub const CHUNK_SIZE: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("uploading the sync: {0}")]
    Rpc(RpcError),
    #[error("ConductorOne ended the upload before it was complete")]
    EndedEarly,
    #[error("the upload was cancelled")]
    Cancelled,
}

/// What was uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    pub bytes: u64,
    pub chunks: u64,
    pub sha256: [u8; 32],
}

enum ProduceError {
    Read(std::io::Error),
    /// The call ended while messages were still to be sent.
    Closed,
}

fn message(msg: Msg) -> BatonServiceUploadAssetRequest {
    BatonServiceUploadAssetRequest { msg: Some(msg) }
}

/// Fills `buf` as far as the file allows; returns the bytes read.
async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

async fn produce(
    mut file: tokio::fs::File,
    tx: mpsc::Sender<BatonServiceUploadAssetRequest>,
    metadata: UploadMetadata,
) -> Result<UploadReport, ProduceError> {
    let send = |m| {
        let tx = tx.clone();
        async move { tx.send(message(m)).await.map_err(|_| ProduceError::Closed) }
    };
    send(Msg::Metadata(metadata)).await?;
    let mut hasher = Sha256::new();
    let mut report = UploadReport {
        bytes: 0,
        chunks: 0,
        sha256: [0; 32],
    };
    loop {
        let mut chunk = vec![0u8; CHUNK_SIZE];
        let n = read_full(&mut file, &mut chunk)
            .await
            .map_err(ProduceError::Read)?;
        if n == 0 {
            break;
        }
        chunk.truncate(n);
        hasher.update(&chunk);
        report.bytes += n as u64;
        report.chunks += 1;
        send(Msg::Data(UploadData { data: chunk })).await?;
        if n < CHUNK_SIZE {
            break;
        }
    }
    report.sha256 = hasher.finalize().into();
    send(Msg::Eof(UploadEof {
        sha256_checksum: report.sha256.to_vec(),
        annotations: Vec::new(),
    }))
    .await?;
    // Dropping the last sender ends the request stream (half-close).
    Ok(report)
}

/// Uploads `path` as the asset of `task_id`. Cancelling `stop` abandons the
/// call before its EOF, so nothing partial is accepted.
pub async fn upload_file(
    client: &C1Client,
    task_id: &str,
    path: &Path,
    stop: &CancellationToken,
) -> Result<UploadReport, UploadError> {
    let read_error = |source| UploadError::Read {
        path: path.to_owned(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(read_error)?;
    let (tx, rx) = mpsc::channel(2);
    let metadata = UploadMetadata {
        host_id: client.host_id().to_owned(),
        task_id: task_id.to_owned(),
        annotations: Vec::new(),
    };
    let producer = produce(file, tx, metadata);
    let call = client.upload_asset(ReceiverStream::new(rx));
    tokio::pin!(producer);
    tokio::pin!(call);

    let mut produced: Option<UploadReport> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Err(UploadError::Cancelled),
            result = &mut producer, if produced.is_none() => match result {
                Ok(report) => produced = Some(report),
                // Returning drops the call mid-stream: it is reset, not completed.
                Err(ProduceError::Read(source)) => return Err(read_error(source)),
                Err(ProduceError::Closed) => {
                    return match call.await {
                        Err(e) => Err(UploadError::Rpc(e)),
                        Ok(_) => Err(UploadError::EndedEarly),
                    };
                }
            },
            result = &mut call => return match (result, produced) {
                (Ok(_), Some(report)) => Ok(report),
                (Ok(_), None) => Err(UploadError::EndedEarly),
                (Err(e), _) => Err(UploadError::Rpc(e)),
            },
        }
    }
}
