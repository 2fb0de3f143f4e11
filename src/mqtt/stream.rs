//! The stream data plane: the data topic and CBOR GetStream requests.

use super::text::Text;
use super::{
    publish, stream_topic, subscription, DATA, GET, MAX_STREAM_NAME, REQUEST_CAP, STREAM_TOPIC_CAP,
};
use crate::codec::cbor;
use crate::config;
use crate::sys::{self, OtaErr_t};
use core::mem::MaybeUninit;

/// The thing name and the stream name, lent together.
pub trait StreamParts {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8]) -> R) -> R;
}

/// Subscribes to the stream's data topic (QoS 0) or (`off`) unsubscribes it (QoS 1); false,
/// with no call, when the stream name is not one AWS could have made: at most MAX_STREAM_NAME
/// bytes (U3). Out of line, one copy for init and cleanup: their callers' frames no longer hold
/// the topic (-24 B, measured).
#[inline(never)]
fn data_subscription(parts: &impl StreamParts, off: bool) -> bool {
    let mut t = Text::<STREAM_TOPIC_CAP>::new();
    let named = parts.read(|thing, stream| {
        stream_topic(&mut t, thing, stream, DATA);
        stream.len() <= MAX_STREAM_NAME
    });
    named && subscription(&mut t, off as u8, off)
}

/// Subscribes to the stream's data topic (QoS 0).
pub fn init_stream(parts: &impl StreamParts) -> Result<(), OtaErr_t> {
    if data_subscription(parts, false) {
        Ok(())
    } else {
        Err(sys::OtaErrInitFileTransferFailed)
    }
}

/// The thing name, stream name and block bitmap one stream request is built from, lent
/// together (`None`: there is no bitmap to ask from).
pub trait RequestParts {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8], &[u8]) -> R) -> Option<R>;
}

/// The pieces of every GetStream request this client sends that do not change: token "rdy",
/// a block size of FILE_BLOCK_SIZE, offset 0 and MAX_NUM_BLOCKS_REQUEST blocks.
pub(super) const REQUEST_LEAD: cbor::Fixed<9> =
    cbor::Fixed::new().map(6).text(b'c', b"rdy").key(b'f');
pub(super) const REQUEST_MIDDLE: cbor::Fixed<
    { key_int(config::FILE_BLOCK_SIZE) + key_int(0) + 2 },
> = cbor::Fixed::new()
    .int(b'l', config::FILE_BLOCK_SIZE as i32)
    .int(b'o', 0)
    .key(b'b');
pub(super) const REQUEST_TAIL: cbor::Fixed<7> =
    cbor::Fixed::new().int(b'n', config::MAX_NUM_BLOCKS_REQUEST as i32);

/// The bytes of a one-letter key and its unsigned value below 2^31. The middle piece is exactly
/// as long as its bytes, so flash holds no unused room (-4 B; a capacity too small fails the
/// build); the tail sized so was copied from flash, not built in the code (+8 B, measured).
const fn key_int(value: u32) -> usize {
    match value {
        0..=23 => 3,
        24..=0xff => 4,
        0x100..=0xffff => 5,
        _ => 7,
    }
}

/// Publishes a CBOR GetStream request for the blocks still set in the bitmap (QoS 0). The
/// message and topic are built in one `read`; the publish runs after it.
pub fn request_blocks(parts: &impl RequestParts, file_id: u32) -> Result<(), OtaErr_t> {
    let mut message = [MaybeUninit::uninit(); REQUEST_CAP];
    let mut t = Text::new();
    let encoded = parts
        .read(|thing, stream, bitmap| {
            if stream.len() > MAX_STREAM_NAME {
                return Err(sys::OtaErrRequestFileBlockFailed);
            }
            let encoded = cbor::encode_fixed_request(
                &mut message,
                &REQUEST_LEAD,
                file_id as i32,
                &REQUEST_MIDDLE,
                bitmap,
                &REQUEST_TAIL,
            )
            .ok_or(sys::OtaErrFailedToEncodeCbor)?;
            stream_topic(&mut t, thing, stream, GET);
            Ok(encoded)
        })
        .unwrap_or(Err(sys::OtaErrRequestFileBlockFailed))?;
    if publish(&mut t, encoded, 0) {
        Ok(())
    } else {
        Err(sys::OtaErrRequestFileBlockFailed)
    }
}

/// Unsubscribes the stream's data topic.
pub fn cleanup_stream(parts: &impl StreamParts) -> Result<(), OtaErr_t> {
    // A name too long for AWS was never subscribed (init_stream refuses it).
    if data_subscription(parts, true) {
        Ok(())
    } else {
        Err(sys::OtaErrCleanupDataFailed)
    }
}
