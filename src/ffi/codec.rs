//! `base64Decode` and the CBOR stream-message functions (ota_base64_private.h,
//! ota_cbor_private.h), with v2.0.0's handling of NULL pointers and buffer sizes.

use crate::codec::{base64, cbor};
use crate::sys;
use core::ffi::c_char;
use core::slice;

/// `base64Decode`: decode `encodedLen` base64 symbols into `pDest` (room for `destLen`).
///
/// # Safety
/// Non-NULL pointers are valid for their lengths (`pDest` writable for `destLen` bytes,
/// `pEncodedData` readable for `encodedLen` bytes, `pResultLen` writable).
#[no_mangle]
pub unsafe extern "C" fn base64Decode(
    pDest: *mut u8,
    destLen: usize,
    pResultLen: *mut usize,
    pEncodedData: *const u8,
    encodedLen: usize,
) -> sys::Base64Status_t {
    if pDest.is_null() || pResultLen.is_null() || pEncodedData.is_null() {
        // v2.0.0 checks the length after the pointers and lets it win.
        return if encodedLen < 2 {
            sys::Base64InvalidInputSize
        } else {
            sys::Base64NullPointerInput
        };
    }
    // SAFETY: non-NULL and valid for the given lengths per the contract; they may not overlap
    // in any meaningful use (the output is written while the input is read).
    let (dest, src) = unsafe {
        (
            slice::from_raw_parts_mut(pDest, destLen),
            slice::from_raw_parts(pEncodedData, encodedLen),
        )
    };
    match base64::decode(dest, src) {
        Ok(written) => {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { pResultLen.write(written) };
            sys::Base64Success
        }
        Err(e) => {
            ota_log!(Debug, "base64Decode failed: Base64Status_t=", u(e.code()));
            base64_status(e.code())
        }
    }
}

/// `OTA_CBOR_Encode_GetStreamRequestMessage`: the GetStream request, as v2.0.0 encodes it.
///
/// # Safety
/// Non-NULL pointers are valid: the message buffer writable for `messageBufferSize` bytes,
/// the token NUL-terminated, the bitmap readable for `blockBitmapSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn OTA_CBOR_Encode_GetStreamRequestMessage(
    pMessageBuffer: *mut u8,
    messageBufferSize: usize,
    pEncodedMessageSize: *mut usize,
    pClientToken: *const c_char,
    fileId: i32,
    blockSize: i32,
    blockOffset: i32,
    pBlockBitmap: *mut u8,
    blockBitmapSize: usize,
    numOfBlocksRequested: i32,
) -> bool {
    if pMessageBuffer.is_null()
        || pEncodedMessageSize.is_null()
        || pClientToken.is_null()
        || pBlockBitmap.is_null()
    {
        return false;
    }
    // SAFETY: non-NULL and valid per the contract.
    let (out, token, bitmap) = unsafe {
        (
            slice::from_raw_parts_mut(pMessageBuffer, messageBufferSize),
            super::until_nul(pClientToken.cast::<u8>()),
            slice::from_raw_parts(pBlockBitmap.cast_const(), blockBitmapSize),
        )
    };
    match cbor::encode_get_stream_request(
        out,
        token,
        fileId,
        blockSize,
        blockOffset,
        bitmap,
        numOfBlocksRequested,
    ) {
        Ok(size) => {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { pEncodedMessageSize.write(size) };
            true
        }
        Err(_) => false,
    }
}

/// `OTA_CBOR_Decode_GetStreamResponseMessage`: file ID, block ID, block size and payload of a
/// stream data message; the payload is copied into `*pPayload`, which has room for
/// `*pPayloadSize` bytes (in: capacity, out: payload length).
///
/// # Safety
/// Non-NULL pointers are valid: the message readable for `messageSize` bytes, the integer and
/// size out-parameters writable, `*pPayload` NULL or writable for `*pPayloadSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn OTA_CBOR_Decode_GetStreamResponseMessage(
    pMessageBuffer: *const u8,
    messageSize: usize,
    pFileId: *mut i32,
    pBlockId: *mut i32,
    pBlockSize: *mut i32,
    pPayload: *mut *mut u8,
    pPayloadSize: *mut usize,
) -> bool {
    if pMessageBuffer.is_null()
        || pFileId.is_null()
        || pBlockId.is_null()
        || pBlockSize.is_null()
        || pPayload.is_null()
        || pPayloadSize.is_null()
    {
        return false;
    }
    // SAFETY: non-NULL and readable for `messageSize` bytes per the contract.
    let message = unsafe { slice::from_raw_parts(pMessageBuffer, messageSize) };
    // Borrowed where it was returned, not moved out: no copy on the stack.
    let decoded = cbor::decode_get_stream_response(message);
    let block = match &decoded {
        Ok(block) => block,
        Err(e) => {
            ota_log!(Error, "Rejected a GetStream response: ", s(e.name()));
            return false;
        }
    };
    // SAFETY: the out-parameters are non-NULL and writable per the contract.
    let capacity = unsafe { pPayloadSize.read() };
    if block.payload.len() > capacity {
        ota_log!(
            Error,
            "GetStream payload of ",
            u(block.payload.len()),
            " bytes exceeds the ",
            u(capacity),
            " byte buffer"
        );
        return false;
    }
    // SAFETY: as above; a non-NULL `*pPayload` has room for `capacity` bytes.
    unsafe {
        let dest = pPayload.read();
        if !dest.is_null() {
            // Cannot fail: the payload fits, checked above.
            let _ = block
                .payload
                .copy_to(slice::from_raw_parts_mut(dest, capacity));
        }
        pFileId.write(block.file_id);
        pBlockId.write(block.block_id);
        pBlockSize.write(block.block_size);
        pPayloadSize.write(block.payload.len());
    }
    ota_log!(
        Debug,
        "Decoded block ",
        d(block.block_id),
        " (",
        u(block.payload.len()),
        " bytes)"
    );
    true
}

/// A base64 error number as the C enum `Base64Status_t`, whatever width the C compiler gave it.
#[allow(clippy::unnecessary_cast)]
const fn base64_status(code: u32) -> sys::Base64Status_t {
    code as sys::Base64Status_t
}
