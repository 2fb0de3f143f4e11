//! Block ingest: decode a data message, check it against the file and the bitmap, write it
//! through the PAL, and close the file (signature check) after the last block.

use super::state::{plane, Plane, AGENT, FILE};
use super::timer::{start_quiet_timer, stop_request_timer};
use crate::bitmap;
use crate::codec::cbor;
use crate::config;
use crate::sys::fctx;
use crate::sys::{self, iface, pal_status, IngestResult_t, OtaPalStatus_t};

/// A block's bytes: one slice of the message (the usual case, written without a copy), or a
/// CBOR payload sent in several chunks, which is joined in the decode buffer first.
enum Data<'a> {
    Slice(&'a [u8]),
    Chunks(cbor::Payload<'a>),
}

impl Data<'_> {
    fn len(&self) -> usize {
        match self {
            Data::Slice(s) => s.len(),
            Data::Chunks(p) => p.len(),
        }
    }
}

pub(super) use crate::config::blocks_in;

/// A message as its plane frames it, read from the message alone: MQTT's block index and
/// file ID, or an HTTP body (its block is the oldest range asked for).
struct Decoded<'a> {
    index: Option<u32>,
    file_id: Option<i32>,
    data: Data<'a>,
}

/// Decodes the message as the job's data plane frames it. It reads nothing of the agent, so it
/// runs before the block's one lock.
#[inline(always)]
fn decode(message: &[u8], plane: Plane) -> Result<Decoded<'_>, IngestResult_t> {
    match plane {
        Plane::Mqtt => {
            let block =
                cbor::decode_get_stream_response(message).map_err(|_| sys::IngestResultBadData)?;
            // v2.0.0 trusted "l" even when "p" was shorter or longer (U2): a malformed block.
            if usize::try_from(block.block_size).ok() != Some(block.payload.len()) {
                return Err(sys::IngestResultBadData);
            }
            let data = match block.payload.as_slice() {
                Some(slice) => Data::Slice(slice),
                None => Data::Chunks(block.payload),
            };
            Ok(Decoded {
                index: Some(block.block_id as u32),
                file_id: Some(block.file_id),
                data,
            })
        }
        // v2.0.0 copied up to a block into the decode buffer without checking its size (U1).
        Plane::Http if message.len() <= config::FILE_BLOCK_SIZE as usize => Ok(Decoded {
            index: None,
            file_id: None,
            data: Data::Slice(message),
        }),
        Plane::Http => Err(sys::IngestResultBadData),
        Plane::None => Err(sys::IngestResultUnexpectedBlock),
    }
}

/// Whether `size` is the right length for block `index` (v2.0.0's validateDataBlock): a full
/// block, or the rest of the file for its last.
fn valid_block(file_size: u32, index: u32, size: usize) -> bool {
    let Some(start) = index.checked_mul(config::FILE_BLOCK_SIZE) else {
        return false;
    };
    // 0 for a block at or past the end: refused, whatever its size (even 0).
    let rest = file_size.saturating_sub(start);
    rest != 0 && usize::try_from(rest.min(config::FILE_BLOCK_SIZE)).ok() == Some(size)
}

/// Where the download stands after a new block, read when it was claimed.
pub(super) struct Progress {
    /// Blocks still needed, and the file's size.
    pub remaining: u32,
    pub file_size: u32,
    /// The block completed its request's window: the next request is due.
    pub window_done: bool,
    pub callback: sys::OtaAppCallback_t,
}

/// What one data message did to the download: a new block written (the last one when none
/// remain), or nothing added (a refusal, a failure). The file is not closed here, so there is
/// no close status to carry.
pub(super) enum Ingested {
    Accepted(Progress),
    Done(IngestResult_t),
}

/// Why the block's one look at the agent and the file did not claim the block: the ingest's
/// result, set where the check fails, and what the log says of it.
struct Refusal(IngestResult_t, Why);

/// A refusal's record for the log.
enum Why {
    /// No download is in progress.
    NotReady,
    /// Nothing to log: the message is not a block of this file, an HTTP body with no range
    /// asked for and no block needed, or no file.
    Quiet,
    /// A block of another file (v2.0.0's stream could carry several): ignored.
    OtherFile(i32, u32),
    /// The block does not fit the file.
    OutOfRange(u32, usize),
    Duplicate(u32),
}

/// Checks a decoded block against the file and the bitmap and claims it (marked received), in
/// the order v2.0.0 checked: a download in progress, the message, the file, the block's place,
/// the bitmap. Returns the block's index, the progress and the block's bytes; HTTP's copy also stores the next
/// block needed in `next`.
#[inline(always)]
fn claim<'d, 'm, const HTTP: bool>(
    a: &mut super::state::Agent,
    f: &mut sys::OtaFileContext_t,
    plane: Plane,
    decoded: &'d Result<Decoded<'m>, IngestResult_t>,
    next: &mut Option<u32>,
) -> Result<(u32, Progress, &'d Data<'m>), Refusal> {
    // Read before the bitmap is borrowed (it stays borrowed until the block is marked).
    let remaining = f.blocksRemaining;
    let file_size = f.fileSize;
    let has_file = !f.pFile.is_null();
    // A payload larger than the decode buffer was refused, as in v2.0.0.
    let limit = fctx::decode_capacity(f).unwrap_or(config::FILE_BLOCK_SIZE as usize);
    let bits = match fctx::bitmap(f, a.bitmap_len) {
        Some(bits) if remaining > 0 => bits,
        _ => return Err(Refusal(sys::IngestResultUnexpectedBlock, Why::NotReady)),
    };
    // HTTP: the body answers the oldest range asked for, else the first block needed.
    let http_index = match plane {
        Plane::Http => a.in_flight.answer().or_else(|| a.next_in(bits)),
        _ => None,
    };
    let decoded = decoded
        .as_ref()
        .map_err(|&result| Refusal(result, Why::Quiet))?;
    let len = decoded.data.len();
    if len > limit {
        return Err(Refusal(sys::IngestResultBadData, Why::Quiet));
    }
    let index = match decoded.file_id {
        Some(id) if u32::try_from(id).ok() != Some(a.server_file_id) => {
            return Err(Refusal(
                sys::IngestResultDuplicate_Continue,
                Why::OtherFile(id, a.server_file_id),
            ));
        }
        Some(_) => decoded.index,
        None => http_index,
    };
    let index = index.ok_or(Refusal(sys::IngestResultDuplicate_Continue, Why::Quiet))?;
    if !valid_block(file_size, index, len) {
        return Err(Refusal(
            sys::IngestResultBlockOutOfRange,
            Why::OutOfRange(index, len),
        ));
    }
    if !bitmap::is_needed(bits, index) {
        return Err(Refusal(
            sys::IngestResultDuplicate_Continue,
            Why::Duplicate(index),
        ));
    }
    if !has_file {
        return Err(Refusal(sys::IngestResultBadFileHandle, Why::Quiet));
    }
    // Marked before the write: a write that fails ends the job, so no mark misleads; nor do
    // the agent's counts.
    bitmap::mark_received(bits, index);
    if HTTP {
        *next = a.next_in(bits);
    }
    // Not 0 (no bitmap is lent otherwise), so the subtraction cannot wrap.
    let remaining = remaining.wrapping_sub(1);
    f.blocksRemaining = remaining;
    a.momentum = 0;
    // The window's count runs down to 0, which reads as done, as 1 does (no branch).
    let left = a.blocks_to_receive.saturating_sub(1);
    a.blocks_to_receive = left;
    let window_done = left == 0;
    let progress = Progress {
        remaining,
        file_size,
        window_done,
        callback: a.callback,
    };
    Ok((index, progress, &decoded.data))
}

/// What a refused block makes of the ingest, with its log record.
fn refused(refusal: Refusal) -> Ingested {
    let Refusal(result, why) = refusal;
    match why {
        Why::NotReady | Why::Quiet => {}
        Why::OtherFile(id, expected) => {
            ota_log!(
                Warn,
                "Ignoring a block of file ",
                d(id),
                " (the job's file is ",
                u(expected),
                ")"
            );
        }
        Why::OutOfRange(index, len) => {
            ota_log!(
                Error,
                "Block ",
                u(index),
                " of ",
                u(len),
                " bytes is outside the file"
            );
        }
        Why::Duplicate(index) => {
            ota_log!(Warn, "Duplicate block ", u(index), " ignored");
        }
    }
    Ingested::Done(result)
}

/// Ingests one data message of the job's plane; after the file's last block (none remaining)
/// the caller closes the file with [`finish`].
#[inline(never)]
pub(super) fn receive(message: &[u8]) -> Ingested {
    receive_as::<false>(message, plane(), &mut None)
}

/// [`receive`] for an HTTP job, inlined into its caller: the framing (no header, the range's
/// block) is folded in. With a claimed block comes the next block needed (the next range to ask
/// for), found with the bitmap at hand.
#[inline(always)]
pub(super) fn receive_http(message: &[u8]) -> (Ingested, Option<u32>) {
    let mut next = None;
    let ingested = receive_as::<true>(message, Plane::Http, &mut next);
    (ingested, next)
}

/// (The const parameter gives each copy its own lock closure, inlined at its one call.)
#[inline(always)]
fn receive_as<const HTTP: bool>(message: &[u8], plane: Plane, next: &mut Option<u32>) -> Ingested {
    let decoded = decode(message, plane);
    let claimed = AGENT.with2(&FILE, |a, f| claim::<HTTP>(a, f, plane, &decoded, next));
    if !matches!(claimed, Err(Refusal(_, Why::NotReady))) {
        // Every block of a download in progress restarts the request timer, as in v2.0.0, but
        // for the quiet period.
        let _ = start_quiet_timer();
    }
    let (index, progress, data) = match claimed {
        Ok(claimed) => claimed,
        Err(refusal) => return refused(refusal),
    };
    let offset = index.saturating_mul(config::FILE_BLOCK_SIZE);
    let written = write(offset, data);
    // v2.0.0 counted a short write as success (#436).
    if usize::try_from(written).ok() != Some(data.len()) {
        ota_log!(
            Error,
            "PAL wrote ",
            d(written),
            " of ",
            u(data.len()),
            " bytes of block ",
            u(index)
        );
        return Ingested::Done(sys::IngestResultWriteBlockFailed);
    }
    if progress.remaining > 0 {
        ota_log!(
            Info,
            "Received block ",
            u(index),
            "; ",
            u(progress.remaining),
            " remaining"
        );
    }
    Ingested::Accepted(progress)
}

/// Writes a block through the PAL; a chunked payload is joined first, in the application's
/// decode buffer or in memory from the OS interface (as v2.0.0 allocated its decode memory).
#[inline(always)]
fn write(offset: u32, data: &Data<'_>) -> i16 {
    let payload = match data {
        Data::Slice(bytes) => return iface::pal_write_block(offset, bytes),
        Data::Chunks(payload) => payload,
    };
    let join_and_write = |buf: &mut [u8]| {
        payload
            .copy_to(buf)
            .ok()
            .and_then(|n| buf.get(..n))
            .map_or(-1, |joined| iface::pal_write_block(offset, joined))
    };
    fctx::with_scratch(config::FILE_BLOCK_SIZE as usize, join_and_write).unwrap_or(-1)
}

/// After the last block: stop the request timer, drop the bitmap, close (verify) the file.
/// One body: the steps before the close, out of line, cost 24 B and no stack was saved by it.
pub(super) fn finish() -> (IngestResult_t, OtaPalStatus_t) {
    ota_log!(Info, "Received the final block of the update");
    stop_request_timer();
    // One lock for the agent's and the file's parts; the allocation is freed outside it.
    let (taken, has_file) = AGENT.with2(&FILE, |a, f| {
        a.bitmap_len = 0;
        (fctx::take_allocated_bitmap(f), !f.pFile.is_null())
    });
    iface::free(taken);
    if !has_file {
        return (
            sys::IngestResultBadFileHandle,
            pal_status(sys::OtaPalSuccess),
        );
    }
    let status = iface::pal_close_file();
    FILE.with(|f| f.pFile = core::ptr::null_mut());
    let result = match sys::pal_main(status) {
        sys::OtaPalSuccess => {
            ota_log!(
                Info,
                "Received the entire update and validated the signature"
            );
            sys::IngestResultFileComplete
        }
        sys::OtaPalSignatureCheckFailed => sys::IngestResultSigCheckFail,
        _ => sys::IngestResultFileCloseFail,
    };
    if result != sys::IngestResultFileComplete {
        ota_log!(
            Error,
            "Failed to close the OTA file: PAL status 0x",
            x08(status)
        );
    }
    (result, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_follow_v2_rules() {
        let b = config::FILE_BLOCK_SIZE;
        let size = 2 * b + 100;
        assert!(valid_block(size, 0, b as usize));
        assert!(!valid_block(size, 0, 100));
        assert!(valid_block(size, 2, 100));
        assert!(!valid_block(size, 2, b as usize));
        assert!(!valid_block(size, 3, 0));
        assert!(!valid_block(0, 0, 0));
        assert!(!valid_block(size, 3, 100));
        assert!(!valid_block(u32::MAX, u32::MAX, b as usize));
        assert!(valid_block(u32::MAX, u32::MAX / b, (u32::MAX % b) as usize));
    }

    #[test]
    fn block_count_rounds_up_and_never_overflows_issue_407() {
        assert_eq!(blocks_in(0), 0);
        assert_eq!(blocks_in(1), 1);
        assert_eq!(blocks_in(4096), 1);
        assert_eq!(blocks_in(4097), 2);
        assert_eq!(blocks_in(8192), 2);
        assert_eq!(blocks_in(4_294_967_295), 1_048_576);
    }
}
