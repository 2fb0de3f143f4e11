//! The file context (`OtaFileContext_t`): the C struct every PAL call receives. Its string
//! fields point at application buffers (`OtaAppBuffer_t`), at the agent's static buffers, or
//! at memory from the application's malloc; this module is the one place that reads and writes
//! through those pointers.

pub(crate) use crate::sys::file::{empty, empty_signature, FILE};
use crate::sys::{iface, OtaAppBuffer_t, OtaFileContext_t};
use core::ptr::{copy_nonoverlapping, null_mut, write_bytes};

/// The NUL-terminated text fields of the file context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    FilePath,
    CertFile,
    StreamName,
    Url,
    AuthScheme,
    JobName,
    Protocols,
}

/// Why a value could not be stored (v2.0.0's DocParseErr_t cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    OutOfMemory,
    BufferTooSmall,
}

/// Where a text field's pointer and the 16-bit capacity of its fixed buffer sit in the file
/// context. Offsets in a table: a `match` on the field became two tables of addresses for each
/// of `slot` and `text`, 112 bytes in all.
macro_rules! slot_at {
    ($ptr:ident, $cap:ident) => {{
        // The fields' types, checked: `slot` and `text` read them as these.
        let _: fn(&OtaFileContext_t) -> (*mut u8, u16) = |f| (f.$ptr, f.$cap);
        [
            core::mem::offset_of!(OtaFileContext_t, $ptr) as u8,
            core::mem::offset_of!(OtaFileContext_t, $cap) as u8,
        ]
    }};
}

// Every offset fits the table's bytes.
const _: () = assert!(core::mem::size_of::<OtaFileContext_t>() <= 256);

/// [`slot_at!`] of each text field, in [`Text`]'s order.
const SLOTS: [[u8; 2]; 7] = [
    slot_at!(pFilePath, filePathMaxSize),
    slot_at!(pCertFilepath, certFilePathMaxSize),
    slot_at!(pStreamName, streamNameMaxSize),
    slot_at!(pUpdateUrlPath, updateUrlMaxSize),
    slot_at!(pAuthScheme, authSchemeMaxSize),
    slot_at!(pJobName, jobNameMaxSize),
    slot_at!(pProtocols, protocolMaxSize),
];

/// The offsets of `field`'s pointer and capacity.
fn slot_offsets(field: Text) -> (usize, usize) {
    // Every Text has its row; the fallback (the first row) is never taken.
    let [ptr_at, cap_at] = SLOTS.get(field as usize).copied().unwrap_or(SLOTS[0]);
    (ptr_at.into(), cap_at.into())
}

/// A text field's pointer, borrowed with the context, and the capacity of its fixed buffer.
fn slot(ctx: &mut OtaFileContext_t, field: Text) -> (&mut *mut u8, u16) {
    let (ptr_at, cap_at) = slot_offsets(field);
    let base = (ctx as *mut OtaFileContext_t).cast::<u8>();
    // SAFETY: the offsets are offset_of! of fields of OtaFileContext_t whose types slot_at!
    // checked are *mut u8 and u16; both lie inside `ctx`, which is borrowed mutably for the
    // reference's life; the capacity is read by value, before the reference is made.
    unsafe {
        let capacity = base.add(cap_at).cast::<u16>().read();
        (&mut *base.add(ptr_at).cast::<*mut u8>(), capacity)
    }
}

/// As [`slot`], read only: the field's pointer and capacity, by value.
fn slot_value(ctx: &OtaFileContext_t, field: Text) -> (*mut u8, u16) {
    let (ptr_at, cap_at) = slot_offsets(field);
    let base = (ctx as *const OtaFileContext_t).cast::<u8>();
    // SAFETY: as for `slot`; both fields are read by value from the shared context.
    unsafe {
        (
            base.add(ptr_at).cast::<*mut u8>().read(),
            base.add(cap_at).cast::<u16>().read(),
        )
    }
}

/// The receive bitmap's pointer and the capacity of the application's buffer (0: allocated).
fn bitmap_slot(ctx: &mut OtaFileContext_t) -> (&mut *mut u8, u16) {
    (&mut ctx.pRxBlockBitmap, ctx.blockBitmapMaxSize)
}

/// Under the lock, before a new value: allocated memory (no capacity) is taken out, the slot
/// NULL until the caller stores the replacement; a fixed buffer stays and is only read.
fn take_allocated(slot: (&mut *mut u8, u16)) -> (*mut u8, u16) {
    let (ptr, capacity) = slot;
    let old = if capacity == 0 {
        core::mem::replace(ptr, null_mut())
    } else {
        *ptr
    };
    (old, capacity)
}

/// Under the lock, forgetting the value: a fixed buffer is zeroed and stays; allocated memory
/// is taken out, for the caller to free outside the lock.
fn clear_or_take(slot: (&mut *mut u8, u16)) -> *mut u8 {
    let (ptr, capacity) = slot;
    if capacity == 0 {
        return core::mem::replace(ptr, null_mut());
    }
    if !ptr.is_null() {
        // SAFETY: the application's fixed buffer of `capacity` bytes.
        unsafe { write_bytes(*ptr, 0, usize::from(capacity)) };
    }
    null_mut()
}

/// Copies `value` plus a NUL into the field: into its fixed buffer when it has a capacity,
/// else into fresh memory from the application's malloc (freeing the previous value first),
/// as v2.0.0's extractAndStoreArray does. The capacity is read as the `uint16_t` it is
/// (upstream read it through a `uint32_t *`, wrong on big-endian targets). The application's
/// malloc and free run outside the lock; the field is NULL in between.
pub fn store(field: Text, value: &[u8]) -> Result<(), StoreError> {
    let needed = value
        .len()
        .checked_add(1)
        .ok_or(StoreError::BufferTooSmall)?;
    let (old, capacity) = FILE.with(|ctx| take_allocated(slot(ctx, field)));
    let dst = if capacity == 0 {
        iface::free(old);
        let fresh = iface::malloc(needed);
        if fresh.is_null() {
            return Err(StoreError::OutOfMemory);
        }
        fresh
    } else if usize::from(capacity) < needed || old.is_null() {
        return Err(StoreError::BufferTooSmall);
    } else {
        old
    };
    // SAFETY: `dst` holds at least `needed` bytes (checked capacity, or just allocated with that
    // size) and does not overlap `value`, which lives in the event buffer. Only the agent task
    // writes the file context's text buffers.
    unsafe {
        copy_nonoverlapping(value.as_ptr(), dst, value.len());
        dst.add(value.len()).write(0);
    }
    if capacity == 0 {
        FILE.with(|ctx| *slot(ctx, field).0 = dst);
    }
    Ok(())
}

/// One of the application's buffers and the file context's slot for it: the offsets of the
/// pointer and the 16-bit size in `OtaAppBuffer_t`, then in `OtaFileContext_t`. A table, as
/// one call per buffer cost the firmware 14 bytes each.
macro_rules! adopted {
    ($ptr:ident, $size:ident => $fptr:ident, $fsize:ident) => {{
        // The fields' types, checked: the loop below reads and writes them as these.
        let _: fn(&OtaAppBuffer_t, &OtaFileContext_t) -> [(*mut u8, u16); 2] =
            |b, f| [(b.$ptr, b.$size), (f.$fptr, f.$fsize)];
        [
            core::mem::offset_of!(OtaAppBuffer_t, $ptr) as u8,
            core::mem::offset_of!(OtaAppBuffer_t, $size) as u8,
            core::mem::offset_of!(OtaFileContext_t, $fptr) as u8,
            core::mem::offset_of!(OtaFileContext_t, $fsize) as u8,
        ]
    }};
}

// Every offset fits the table's bytes.
const _: () = assert!(
    core::mem::size_of::<OtaAppBuffer_t>() <= 256
        && core::mem::size_of::<OtaFileContext_t>() <= 256
);

const ADOPTED: [[u8; 4]; 6] = [
    adopted!(pUpdateFilePath, updateFilePathsize => pFilePath, filePathMaxSize),
    adopted!(pCertFilePath, certFilePathSize => pCertFilepath, certFilePathMaxSize),
    adopted!(pStreamName, streamNameSize => pStreamName, streamNameMaxSize),
    adopted!(pFileBitmap, fileBitmapSize => pRxBlockBitmap, blockBitmapMaxSize),
    adopted!(pUrl, urlSize => pUpdateUrlPath, updateUrlMaxSize),
    adopted!(pAuthScheme, authSchemeSize => pAuthScheme, authSchemeMaxSize),
];

/// Takes the application's buffers into an emptied file context (NULL and 0 already): each
/// with a pointer and a size, the rest left to the application's malloc. The decode buffer's
/// size is 32 bits, so it is taken apart.
pub fn adopt_buffers(f: &mut OtaFileContext_t, b: &OtaAppBuffer_t) {
    let src = (b as *const OtaAppBuffer_t).cast::<u8>();
    let dst = (f as *mut OtaFileContext_t).cast::<u8>();
    for &[ptr_at, size_at, fptr_at, fsize_at] in &ADOPTED {
        // SAFETY: each offset is offset_of! of a field of the struct it is added to, whose type
        // `adopted!` checked is the one read or written here; the reads and writes stay inside
        // `b` and `f`, which the references make valid and (for `f`) exclusive.
        unsafe {
            let ptr = src.add(ptr_at.into()).cast::<*mut u8>().read();
            let size = src.add(size_at.into()).cast::<u16>().read();
            if !ptr.is_null() && size > 0 {
                dst.add(fptr_at.into()).cast::<*mut u8>().write(ptr);
                dst.add(fsize_at.into()).cast::<u16>().write(size);
            }
        }
    }
    if !b.pDecodeMemory.is_null() && b.decodeMemorySize > 0 {
        f.pDecodeMem = b.pDecodeMemory;
        f.decodeMemMaxSize = b.decodeMemorySize;
    }
}

/// The text of a field without its NUL (empty when unset).
pub fn text(ctx: &OtaFileContext_t, field: Text) -> &[u8] {
    let (ptr, capacity) = slot_value(ctx, field);
    if ptr.is_null() {
        return &[];
    }
    let limit = if capacity == 0 {
        usize::MAX
    } else {
        usize::from(capacity)
    };
    // SAFETY: the field points at a buffer of `capacity` bytes (a fixed buffer) or at an
    // allocation that `store` ended with a NUL; the scan stops at the NUL or the capacity.
    unsafe {
        let mut len = 0usize;
        // `len < limit`, so the add cannot wrap.
        while len < limit && *ptr.add(len) != 0 {
            len = len.wrapping_add(1);
        }
        core::slice::from_raw_parts(ptr, len)
    }
}

/// Forgets the values of `fields` (at most seven) under one lock (fixed buffers zeroed,
/// allocated memory taken out), with `also` run inside the same lock; then frees what was taken
/// and what `also` returned, outside it. One copy of the code serves every caller.
pub fn release_texts(fields: &[Text], also: fn(&mut OtaFileContext_t) -> *mut u8) {
    let mut taken = [null_mut::<u8>(); 8];
    FILE.with(|ctx| {
        for (slot_out, &field) in taken.iter_mut().zip(fields) {
            *slot_out = clear_or_take(slot(ctx, field));
        }
        if let Some(last) = taken.last_mut() {
            *last = also(ctx);
        }
    });
    for &ptr in &taken {
        iface::free(ptr);
    }
}

/// Forgets what a file holds: its path, certificate, stream, URL and authorisation texts and
/// its bitmap.
pub fn release_file() {
    release_texts(
        &[
            Text::FilePath,
            Text::CertFile,
            Text::StreamName,
            Text::Url,
            Text::AuthScheme,
        ],
        |ctx| {
            ctx.blocksRemaining = 0;
            clear_or_take(bitmap_slot(ctx))
        },
    );
}

/// Makes room for a receive bitmap of `len` bytes, allocating it (outside the lock) when the
/// application gave no buffer; false when the buffer is too small or the allocation fails.
/// The bitmap is then reached through [`bitmap`].
pub fn bitmap_prepare(len: usize) -> bool {
    let (old, capacity) = FILE.with(|ctx| take_allocated(bitmap_slot(ctx)));
    if capacity != 0 {
        return usize::from(capacity) >= len && !old.is_null();
    }
    iface::free(old);
    let fresh = iface::malloc(len.max(1));
    FILE.with(|ctx| ctx.pRxBlockBitmap = fresh.cast());
    !fresh.is_null()
}

/// The receive bitmap as prepared before, `len` bytes long.
pub fn bitmap(ctx: &mut OtaFileContext_t, len: usize) -> Option<&mut [u8]> {
    if ctx.pRxBlockBitmap.is_null()
        || (ctx.blockBitmapMaxSize != 0 && usize::from(ctx.blockBitmapMaxSize) < len)
    {
        return None;
    }
    // SAFETY: `len` is the length `bitmap_prepare` checked or allocated for this job.
    Some(unsafe { core::slice::from_raw_parts_mut(ctx.pRxBlockBitmap, len) })
}

/// The bitmap to read, beside other fields of the same context (see `bitmap`).
pub fn bitmap_ref(ctx: &OtaFileContext_t, len: usize) -> Option<&[u8]> {
    if ctx.pRxBlockBitmap.is_null()
        || (ctx.blockBitmapMaxSize != 0 && usize::from(ctx.blockBitmapMaxSize) < len)
    {
        return None;
    }
    // SAFETY: as for `bitmap`; shared, so it may sit beside the context's other borrows.
    Some(unsafe { core::slice::from_raw_parts(ctx.pRxBlockBitmap, len) })
}

/// Under the caller's lock, forgets an allocated bitmap: takes it out for the caller to free
/// outside the lock (NULL for the application's buffer, which stays). No blocks are owed
/// without it, so a stale request timer finds nothing to ask for.
pub fn take_allocated_bitmap(ctx: &mut OtaFileContext_t) -> *mut u8 {
    if ctx.blockBitmapMaxSize != 0 {
        return null_mut();
    }
    ctx.blocksRemaining = 0;
    clear_or_take(bitmap_slot(ctx))
}

/// Capacity of the application's decode buffer, if it gave one.
// Inline: its two callers then test the fields in place, with no call between (-20 B).
#[inline(always)]
pub fn decode_capacity(ctx: &OtaFileContext_t) -> Option<usize> {
    let len = usize::try_from(ctx.decodeMemMaxSize).ok()?;
    (!ctx.pDecodeMem.is_null() && len > 0).then_some(len)
}

/// Runs `f` on the application's decode buffer, if it gave one, else on `len` bytes from the
/// application's malloc, freed afterwards (as v2.0.0 allocated its decode memory); None when
/// the allocation fails. The file context is not borrowed while `f` runs, so `f` may call the
/// PAL. One call of `f` for both buffers, so it is inlined once.
pub fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
    let given = FILE.with(|c| decode_capacity(c).map(|len| (c.pDecodeMem, len)));
    let (ptr, len) = match given {
        Some(given) => given,
        None => (iface::malloc(len), len),
    };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the application's pDecodeMemory with decodeMemorySize bytes, for the agent's use
    // only while it runs, or a fresh allocation of `len` bytes, freed below after its only use.
    let result = f(unsafe { core::slice::from_raw_parts_mut(ptr, len) });
    if given.is_none() {
        iface::free(ptr);
    }
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_application_buffer_lands_in_its_slot_and_an_empty_one_is_left() {
        let mut bytes = [0u8; 8];
        let base = bytes.as_mut_ptr();
        let p = |i: usize| base.wrapping_add(i);
        let b = OtaAppBuffer_t {
            pUpdateFilePath: p(1),
            updateFilePathsize: 11,
            pCertFilePath: p(2),
            certFilePathSize: 12,
            // A size without a pointer, and a pointer without a size, are not taken.
            pStreamName: null_mut(),
            streamNameSize: 13,
            pDecodeMemory: p(3),
            decodeMemorySize: 70_000,
            pFileBitmap: p(4),
            fileBitmapSize: 0,
            pUrl: p(5),
            urlSize: 15,
            pAuthScheme: p(6),
            authSchemeSize: 16,
        };
        let mut f = empty();
        adopt_buffers(&mut f, &b);
        assert_eq!((f.pFilePath, f.filePathMaxSize), (p(1), 11));
        assert_eq!((f.pCertFilepath, f.certFilePathMaxSize), (p(2), 12));
        assert_eq!((f.pStreamName, f.streamNameMaxSize), (null_mut(), 0));
        assert_eq!((f.pDecodeMem, f.decodeMemMaxSize), (p(3), 70_000));
        assert_eq!((f.pRxBlockBitmap, f.blockBitmapMaxSize), (null_mut(), 0));
        assert_eq!((f.pUpdateUrlPath, f.updateUrlMaxSize), (p(5), 15));
        assert_eq!((f.pAuthScheme, f.authSchemeMaxSize), (p(6), 16));
    }
}
