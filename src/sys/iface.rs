//! Calls out to the application's `OtaInterfaces_t`: the OS, MQTT, HTTP and PAL function tables.
//!
//! v2.0.0 keeps the application's pointer (applications and upstream's tests change entries
//! after `OTA_Init`), so each call reads its function pointer at call time. A missing table or
//! a NULL entry gives the failure status of that family instead of a crash.

use crate::sys::file::FILE;
use crate::sys::*;
use core::ffi::{c_char, c_void, CStr};
use core::ptr::{addr_of, null_mut};
use core::sync::atomic::{AtomicPtr, Ordering};

static TABLE: AtomicPtr<OtaInterfaces_t> = AtomicPtr::new(null_mut());

/// Remembers the application's table (`OTA_Init`); NULL forgets it (shutdown).
pub fn install(table: *mut OtaInterfaces_t) {
    TABLE.store(table, Ordering::Release);
}

/// Whether a table is installed.
pub fn installed() -> bool {
    !TABLE.load(Ordering::Acquire).is_null()
}

/// Reads one function pointer of the installed table.
macro_rules! entry {
    ($($field:ident).+) => {{
        let table = TABLE.load(Ordering::Acquire);
        if table.is_null() {
            None
        } else {
            // SAFETY: `table` is the application's OtaInterfaces_t, valid from OTA_Init until
            // shutdown (the v2.0.0 contract); the field is read by value, without keeping a
            // reference, because the application may rewrite entries at any time.
            unsafe { addr_of!((*table).$($field).+).read() }
        }
    }};
}

/// A topic as the MQTT interface takes it: text followed by its NUL, its length an MQTT
/// length. Checked once where a topic is finished, not at every call (-32 B, measured); two
/// words, so it is returned in registers (three went through the stack: +16 B of frame).
#[derive(Clone, Copy)]
pub struct Topic<'a> {
    /// The text before the NUL, which follows it in memory; at most u16::MAX bytes.
    text: &'a [u8],
}

impl<'a> Topic<'a> {
    /// `with_nul` (its last byte the NUL) as a topic; None when that byte is not a NUL or the
    /// text is too long for MQTT.
    pub fn new(with_nul: &'a [u8]) -> Option<Topic<'a>> {
        match with_nul.split_last() {
            Some((0, text)) if text.len() <= usize::from(u16::MAX) => Some(Topic { text }),
            _ => None,
        }
    }

    /// The text, without its NUL.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The text's pointer and MQTT length.
    fn parts(&self) -> (*const c_char, u16) {
        // No truncation: `new` admits at most u16::MAX bytes.
        (self.text.as_ptr().cast::<c_char>(), self.text.len() as u16)
    }
}

pub fn event_init() -> OtaOsStatus_t {
    match entry!(os.event.init) {
        // SAFETY: v2.0.0 passes a NULL event context; the port's init takes it.
        Some(f) => unsafe { f(null_mut()) },
        None => OtaOsEventQueueCreateFailed,
    }
}

/// The event queue's send entry as the installed table has it now, or None when no table is
/// installed: one look at the table for both questions (asked at every block).
pub fn event_sender() -> Option<EventSender> {
    let table = TABLE.load(Ordering::Acquire);
    if table.is_null() {
        return None;
    }
    // SAFETY: as in `entry!`: the application's table, valid until shutdown; read by value.
    Some(EventSender(unsafe {
        addr_of!((*table).os.event.send).read()
    }))
}

/// An event queue's send entry (NULL when the application left it out).
pub struct EventSender(OtaSendEvent_t);

impl EventSender {
    pub fn send(&self, msg: &OtaEventMsg_t) -> OtaOsStatus_t {
        match self.0 {
            // SAFETY: `msg` is a valid OtaEventMsg_t for the duration of the call; the port
            // copies it.
            Some(f) => unsafe {
                f(
                    null_mut(),
                    (msg as *const OtaEventMsg_t).cast::<c_void>(),
                    0,
                )
            },
            None => OtaOsEventQueueSendFailed,
        }
    }
}

pub fn event_recv(msg: &mut OtaEventMsg_t) -> OtaOsStatus_t {
    match entry!(os.event.recv) {
        // SAFETY: `msg` is writable storage for one OtaEventMsg_t, which the port fills.
        Some(f) => unsafe { f(null_mut(), (msg as *mut OtaEventMsg_t).cast::<c_void>(), 0) },
        None => OtaOsEventQueueReceiveFailed,
    }
}

pub fn timer_start(
    id: OtaTimerId_t,
    name: &'static CStr,
    timeout_ms: u32,
    callback: unsafe extern "C" fn(OtaTimerId_t),
) -> OtaOsStatus_t {
    match entry!(os.timer.start) {
        // SAFETY: `name` is a static NUL-terminated string and `callback` a static function;
        // both outlive the timer.
        Some(f) => unsafe { f(id, name.as_ptr(), timeout_ms, Some(callback)) },
        None => OtaOsTimerStartFailed,
    }
}

// Inline: at its three call sites the lookup costs less than the call's shared copy (-4 B).
#[inline(always)]
pub fn timer_stop(id: OtaTimerId_t) -> OtaOsStatus_t {
    match entry!(os.timer.stop) {
        // SAFETY: plain value argument.
        Some(f) => unsafe { f(id) },
        None => OtaOsTimerStopFailed,
    }
}

pub fn timer_delete(id: OtaTimerId_t) -> OtaOsStatus_t {
    match entry!(os.timer.delete) {
        // SAFETY: plain value argument.
        Some(f) => unsafe { f(id) },
        None => OtaOsTimerDeleteFailed,
    }
}

/// The application's allocator (`os.mem.malloc`); NULL when it fails or is missing.
pub fn malloc(size: usize) -> *mut u8 {
    match entry!(os.mem.malloc) {
        // SAFETY: plain value argument; the result is checked by the caller.
        Some(f) => unsafe { f(size) }.cast::<u8>(),
        None => null_mut(),
    }
}

/// Returns memory obtained from [`malloc`].
pub fn free(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    if let Some(f) = entry!(os.mem.free) {
        // SAFETY: `ptr` came from the same application's malloc and is freed once.
        unsafe { f(ptr.cast::<c_void>()) }
    }
}

/// Subscribes to or (`off`) unsubscribes from a topic: both entries have one signature, so one
/// call site.
pub fn mqtt_subscription(topic: Topic<'_>, qos: u8, off: bool) -> OtaMqttStatus_t {
    let (entry, failed) = if off {
        (entry!(mqtt.unsubscribe), OtaMqttUnsubscribeFailed)
    } else {
        (entry!(mqtt.subscribe), OtaMqttSubscribeFailed)
    };
    match entry {
        // SAFETY: the topic's text is valid and NUL-terminated for the duration of the call.
        Some(f) => unsafe {
            let (p, len) = topic.parts();
            f(p, len, qos)
        },
        None => failed,
    }
}

/// Publishes `payload` on a topic.
pub fn mqtt_publish(topic: Topic<'_>, payload: &[u8], qos: u8) -> OtaMqttStatus_t {
    let size = u32::try_from(payload.len()).ok();
    match (entry!(mqtt.publish), size) {
        // SAFETY: topic (NUL-terminated) and payload are valid for the duration of the call.
        (Some(f), Some(size)) => unsafe {
            let (p, len) = topic.parts();
            f(p, len, payload.as_ptr().cast::<c_char>(), size, qos)
        },
        _ => OtaMqttPublishFailed,
    }
}

/// Hands the file context's pre-signed URL to the HTTP client.
pub fn http_init() -> OtaHttpStatus_t {
    let url = FILE.with(|f| f.pUpdateUrlPath);
    match entry!(http.init) {
        // SAFETY: a non-NULL URL is the file context's NUL-terminated buffer (written by
        // fctx::store), alive until the data plane is cleaned up.
        Some(f) if !url.is_null() => unsafe { f(url.cast::<c_char>()) },
        _ => OtaHttpInitFailed,
    }
}

pub fn http_request(range_start: u32, range_end: u32) -> OtaHttpStatus_t {
    match entry!(http.request) {
        // SAFETY: plain value arguments.
        Some(f) => unsafe { f(range_start, range_end) },
        None => OtaHttpRequestFailed,
    }
}

pub fn http_deinit() -> OtaHttpStatus_t {
    match entry!(http.deinit) {
        // SAFETY: no arguments.
        Some(f) => unsafe { f() },
        None => OtaHttpDeinitFailed,
    }
}

/// PAL status for a missing PAL entry.
const PAL_MISSING: OtaPalStatus_t = super::pal_status(OtaPalUninitialized);

/// A PAL entry that takes only the file context (abort, createFile, closeFile, activate, reset).
type PalFileCall = Option<unsafe extern "C" fn(*mut OtaFileContext_t) -> OtaPalStatus_t>;

/// Calls the PAL entry `offset` bytes into the installed table: one copy of the call for the
/// five entries of this shape, each of which cost its callers some 18 bytes inlined.
#[inline(never)]
fn pal_file_call(offset: usize) -> OtaPalStatus_t {
    let table = TABLE.load(Ordering::Acquire);
    if table.is_null() {
        return PAL_MISSING;
    }
    // SAFETY: `offset` is the offset_of! of a field of OtaInterfaces_t whose type pal_call!
    // checked is PalFileCall; it is read by value (as in `entry!`) from the application's
    // table, valid from OTA_Init until shutdown.
    let entry = unsafe { table.cast::<u8>().add(offset).cast::<PalFileCall>().read() };
    match entry {
        // SAFETY: the file context is a static, valid for the program's life.
        Some(f) => unsafe { f(FILE.as_ptr()) },
        None => PAL_MISSING,
    }
}

macro_rules! pal_call {
    ($(#[$doc:meta])* $name:ident => $field:ident) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $name() -> OtaPalStatus_t {
            // The field's type, checked: pal_file_call reads it as a PalFileCall.
            const _: fn(&OtaPalInterface_t) -> PalFileCall = |p| p.$field;
            // Summed at compile time, where an overflow is an error.
            pal_file_call(const {
                core::mem::offset_of!(OtaInterfaces_t, pal)
                    + core::mem::offset_of!(OtaPalInterface_t, $field)
            })
        }
    };
}

pal_call!(pal_abort => abort);
pal_call!(pal_create_file => createFile);
pal_call!(pal_close_file => closeFile);
pal_call!(pal_activate => activate);
pal_call!(pal_reset => reset);

/// Whether the PAL has an activate entry (v2.0.0 checks before calling it).
pub fn pal_has_activate() -> bool {
    entry!(pal.activate).is_some()
}

/// Writes `data` at `offset`; returns the PAL's count (negative on failure).
// Inline: both writes in ingest then share the caller's frame, no call of their own (-20 B).
#[inline(always)]
pub fn pal_write_block(offset: u32, data: &[u8]) -> i16 {
    let Ok(size) = u32::try_from(data.len()) else {
        return -1;
    };
    match entry!(pal.writeBlock) {
        // SAFETY: `data` is valid for `size` bytes; the PAL only reads it despite the
        // non-const pointer in the v2.0.0 prototype.
        Some(f) => unsafe { f(FILE.as_ptr(), offset, data.as_ptr().cast_mut(), size) },
        None => -1,
    }
}

pub fn pal_set_image_state(state: OtaImageState_t) -> OtaPalStatus_t {
    match entry!(pal.setPlatformImageState) {
        // SAFETY: as for the other PAL calls.
        Some(f) => unsafe { f(FILE.as_ptr(), state) },
        None => PAL_MISSING,
    }
}

pub fn pal_get_image_state() -> OtaPalImageState_t {
    match entry!(pal.getPlatformImageState) {
        // SAFETY: as for the other PAL calls.
        Some(f) => unsafe { f(FILE.as_ptr()) },
        None => OtaPalImageStateUnknown,
    }
}

/// Calls the application's `OtaAppCallback_t` (v2.0.0 never checked it for NULL, #210), with
/// the event buffer of `msg` when given.
pub fn app_callback(callback: OtaAppCallback_t, event: OtaJobEvent_t, msg: Option<&OtaEventMsg_t>) {
    let data = msg.map_or(core::ptr::null(), |m| {
        m.pEventData.cast::<c_void>().cast_const()
    });
    if let Some(f) = callback {
        // SAFETY: the application registered this function in OTA_Init; `data` is NULL or the
        // event buffer the application handed in with the event.
        unsafe { f(event, data) }
    }
}

/// The bytes of an event's payload: `dataLength` bytes of the application's event buffer,
/// never more than the buffer holds (`OTA_DATA_BLOCK_SIZE`), whatever `dataLength` says.
pub fn event_payload(msg: &OtaEventMsg_t) -> &[u8] {
    // SAFETY: pEventData is NULL or the application's OtaEventData_t, which stays valid until
    // the agent reports OtaJobEventProcessed for it (after the handler that reads it); the
    // slice stays inside its `data` array.
    unsafe {
        match msg.pEventData.as_ref() {
            Some(d) => {
                let len = usize::try_from(d.dataLength)
                    .unwrap_or(usize::MAX)
                    .min(d.data.len());
                d.data.get(..len).unwrap_or(&[])
            }
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Topic;

    #[test]
    fn a_topic_is_text_ended_by_its_nul() {
        let t = Topic::new(b"a/b\0").unwrap();
        assert_eq!(t.text(), b"a/b");
        assert_eq!(t.parts().1, 3);
        assert_eq!(Topic::new(b"\0").unwrap().text(), b"");
    }

    #[test]
    fn a_topic_without_its_nul_or_too_long_for_mqtt_is_refused() {
        assert!(Topic::new(b"").is_none());
        assert!(Topic::new(b"a/b").is_none());
        let mut long = vec![b'a'; usize::from(u16::MAX) + 1];
        long.push(0);
        assert!(Topic::new(&long).is_none());
        long.remove(0);
        assert_eq!(Topic::new(&long).unwrap().parts().1, u16::MAX);
    }
}
