//! A received job document: parse it, store its values in the file context the way v2.0.0's
//! document model does, decide what the job is (new, same as the active one, self test, none)
//! and start it.

use super::ingest::blocks_in;
use super::state::{
    clear_active_job, image_state, notify, release_file, set_plane, set_text, signal, until_nul,
    Outcome, Plane, Thing, AGENT, FILE, HTTP_DATA, MQTT_DATA, SIGNATURE,
};
use super::timer::signal_or_retry;
use super::verdict::{in_self_test, platform_in_self_test, set_image_state_with_reason};
use crate::codec::base64;
use crate::job::{self, param};
use crate::mqtt::{self, Status};
use crate::sys::fctx::{self, StoreError, Text};
use crate::sys::{self, iface, OtaErr_t};
use crate::{bitmap, config};

/// What the document turned out to be.
enum Parsed<'a> {
    /// A document without `execution`: the service has no pending job (#487).
    NoJob,
    /// Required keys missing or values unusable; the job ID, if one was read.
    Malformed(Option<JobId<'a>>),
    /// A complete OTA job.
    Job(JobId<'a>),
}

/// A job ID fit for a topic: AWS's `[a-zA-Z0-9_-]`, at most v2.0.0's 72 characters. It borrows
/// the document, which stays in the application's buffer until the document is handled.
#[derive(Clone, Copy)]
struct JobId<'a>(&'a [u8]);

impl<'a> JobId<'a> {
    fn new(text: &'a [u8]) -> Option<JobId<'a>> {
        let ok = !text.is_empty()
            && text.len() <= mqtt::MAX_JOB_ID
            && text
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        ok.then_some(JobId(text))
    }

    fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// Reports a job the agent cannot run as FAILED, so it does not block the device's queue
/// (v2.0.0 dropped such documents silently).
fn report_unusable(job: &JobId<'_>, parse_error: sys::OtaJobParseErr_t) {
    let status = Status::FailedWithValue {
        reason: sys::OtaErrJobParserError.into(),
        sub_reason: parse_error as u32,
    };
    if let Err(err) = mqtt::update_job_status(&Thing, job.as_bytes(), status) {
        ota_log!(
            Error,
            "Failed to report the unusable job: OtaErr_t=",
            u(err)
        );
    }
}

// A decoded signature's length, at most its buffer's, fits in the size field.
const _: () = assert!(fctx::empty_signature().data.len() <= u16::MAX as usize);

/// The largest file ID AWS IoT gives a file of a job (CreateOTAUpdate's `fileId`).
const MAX_FILE_ID: u32 = 255;

fn store_error(e: StoreError) -> job::DocError {
    match e {
        StoreError::OutOfMemory => job::DocError::OutOfMemory,
        StoreError::BufferTooSmall => job::DocError::UserBufferInsufficient,
    }
}

/// Stores every value the model keeps, in model order; the first failure wins, as in v2.0.0.
/// For the active job's document again (a resend, or a refreshed pre-signed URL), as v2.0.0's
/// OtaJobParseErrUpdateCurrentJob path, only the URL may change: the open file's path,
/// certificate, size, ID and signature stay as they are, and an unchanged URL is not touched.
fn store(found: &job::Found<'_>, same_job: bool) -> Result<(), job::DocError> {
    if same_job {
        return store_values(found, true);
    }
    // A value the document leaves out must not come from the previous job: v2.0.0 kept stale
    // text in the application's buffers (e.g. an HTTP job without URL used the last job's URL).
    fctx::release_texts(
        &[
            Text::JobName,
            Text::StreamName,
            Text::Protocols,
            Text::FilePath,
            Text::CertFile,
            Text::Url,
            Text::AuthScheme,
        ],
        |f| {
            f.isInSelfTest = false;
            f.updaterVersion = 0;
            f.fileAttributes = 0;
            f.fileType = 0;
            core::ptr::null_mut()
        },
    );
    // v2.0.0 kept the last job's signature when a document had none (U5).
    SIGNATURE.with(|s| {
        s.size = 0;
        s.data.fill(0);
    });
    store_values(found, false)
}

/// The file context's number a numeric model value goes to.
fn number_slot(f: &mut sys::OtaFileContext_t, index: usize) -> &mut u32 {
    match index {
        param::UPDATED_BY => &mut f.updaterVersion,
        param::FILE_SIZE => &mut f.fileSize,
        param::FILE_ID => &mut f.serverFileID,
        param::ATTRIBUTES => &mut f.fileAttributes,
        _ => &mut f.fileType,
    }
}

/// Stores each found value in model order, as far as it gets: the first failure wins.
fn store_values(found: &job::Found<'_>, same_job: bool) -> Result<(), job::DocError> {
    for (index, value) in found.iter() {
        let Some(text) = value else {
            continue;
        };
        // The active job again: only a changed URL is taken.
        if same_job
            && (index != param::UPDATE_DATA_URL
                || FILE.with(|f| job::eq_bytes(fctx::text(f, Text::Url), text)))
        {
            continue;
        }
        let field = match index {
            param::JOB_ID => Text::JobName,
            param::STREAM_NAME => Text::StreamName,
            param::PROTOCOLS => Text::Protocols,
            param::FILE_PATH => Text::FilePath,
            param::CERT_FILE => Text::CertFile,
            param::UPDATE_DATA_URL => Text::Url,
            param::AUTH_SCHEME => Text::AuthScheme,
            param::UPDATED_BY
            | param::FILE_SIZE
            | param::FILE_ID
            | param::ATTRIBUTES
            | param::FILE_TYPE => {
                let n = job::parse_u32(text).ok_or(job::DocError::InvalidNumChar)?;
                // AWS numbers a job's files 0..=255; anything above would go out as a negative
                // `f` in every request, and every reply would be refused until momentum aborted.
                if index == param::FILE_ID && n > MAX_FILE_ID {
                    return Err(job::DocError::InvalidNumChar);
                }
                FILE.with(|f| *number_slot(f, index) = n);
                continue;
            }
            param::SIGNATURE => {
                SIGNATURE.with(|s| {
                    let n = base64::decode(&mut s.data, text)
                        .map_err(|_| job::DocError::Base64Decode)?;
                    // At most the buffer's length, which fits (asserted at the top).
                    s.size = n as u16;
                    Ok::<(), job::DocError>(())
                })?;
                continue;
            }
            param::SELF_TEST => {
                FILE.with(|f| f.isInSelfTest = true);
                continue;
            }
            _ => continue,
        };
        fctx::store(field, text).map_err(store_error)?;
    }
    Ok(())
}

// Out of line: the model's search results live only in this frame, not under every call the
// job's start makes afterwards (status publishes, PAL calls) on the agent's stack.
#[inline(never)]
fn parse(doc: &[u8]) -> Parsed<'_> {
    // OTA_Init refuses to start without the application's key, so the agent always has one; an
    // empty key would match nothing, and the document would lack its signature.
    let key = sys::shim::json_file_signature_key().unwrap_or(&[]);
    let mut found = job::Found::default();
    if let Err(err) = job::find_values_into(doc, key, &mut found) {
        ota_log!(
            Error,
            "Job document rejected: DocParseErr_t=",
            d(err.code())
        );
        return Parsed::Malformed(None);
    }
    if found.get(param::EXECUTION).is_none() {
        return Parsed::NoJob;
    }
    let id_text = found.get(param::JOB_ID);
    let id = id_text.and_then(JobId::new);
    if id_text.is_some() && id.is_none() {
        ota_log!(
            Error,
            "Job document rejected: the job ID is not a valid AWS job ID"
        );
        return Parsed::Malformed(None);
    }
    // A different job while one is active replaces it (v2.0.0's verifyActiveJobStatus); the
    // old job is closed before the new document's values overwrite its file context.
    // One look at the agent: is a job active, and is it this one?
    let (active, same_job) = AGENT.with(|a| {
        let active = a.has_job();
        let same =
            active && id.is_some_and(|id| job::eq_bytes(until_nul(&a.active_job), id.as_bytes()));
        (active, same)
    });
    if id.is_some() && active && !same_job {
        ota_log!(Info, "New job document received, aborting the current job");
        let _ = iface::pal_set_image_state(sys::OtaImageStateAborted);
        release_file();
        clear_active_job();
    }
    if let Err(err) = store(&found, same_job) {
        ota_log!(
            Error,
            "Job document rejected: DocParseErr_t=",
            d(err.code())
        );
        return Parsed::Malformed(id);
    }
    if found.missing_required() {
        ota_log!(Error, "Job document rejected: a required key is missing");
        return Parsed::Malformed(id);
    }
    match id {
        Some(id) => Parsed::Job(id),
        None => Parsed::Malformed(None),
    }
}

/// v2.0.0's validateUpdateVersion (only for file ID 0).
fn check_version(file_id: u32, updated_by: u32) -> OtaErr_t {
    if file_id != 0 {
        return sys::OtaErrNone;
    }
    let running = sys::shim::app_firmware_version_word().unwrap_or(0);
    if updated_by == running {
        ota_log!(
            Warn,
            "The new image has the same version as the one that started the update"
        );
        sys::OtaErrSameFirmwareVersion
    } else if updated_by > running {
        ota_log!(
            Warn,
            "The new image is older than the one that started the update"
        );
        sys::OtaErrDowngradeNotAllowed
    } else {
        sys::OtaErrNone
    }
}

/// v2.0.0's handleSelfTestJobDoc: after the reboot into the new image.
fn self_test_job(file_id: u32, updated_by: u32) {
    ota_log!(Info, "In self test mode");
    let version = check_version(file_id, updated_by);
    if config::ALLOW_DOWNGRADE == 1 || version == sys::OtaErrNone {
        let err = set_image_state_with_reason(sys::OtaImageStateTesting, version.into());
        if err != sys::OtaErrNone {
            ota_log!(
                Error,
                "Failed to set the image state to testing: OtaErr_t=",
                u(err)
            );
        }
    } else {
        ota_log!(
            Warn,
            "Rejecting the new image: its version is not valid: OtaErr_t=",
            u(version)
        );
        let err = set_image_state_with_reason(sys::OtaImageStateRejected, version.into());
        if err != sys::OtaErrNone {
            ota_log!(
                Error,
                "Failed to set the image state to rejected: OtaErr_t=",
                u(err)
            );
        }
        notify(sys::OtaJobEventSelfTestFailed, None);
        let _ = iface::pal_reset();
    }
}

/// Prepares the bitmap and asks the PAL for the file (v2.0.0's getFileContextFromJob).
fn create_file(size: u32) -> bool {
    let blocks = blocks_in(size);
    let len = bitmap::len_for(blocks);
    let ready = fctx::bitmap_prepare(len)
        && AGENT.with2(&FILE, |a, f| match fctx::bitmap(f, len) {
            Some(b) => {
                bitmap::fill(b, blocks);
                f.blocksRemaining = blocks;
                a.bitmap_len = len;
                a.scan_from = 0;
                true
            }
            None => false,
        });
    if !ready {
        ota_log!(Error, "No memory for the block bitmap (", u(len), " bytes)");
        release_file();
        return false;
    }
    if crate::resume::reopen() {
        return true;
    }
    let status = iface::pal_create_file();
    if sys::pal_main(status) != sys::OtaPalSuccess {
        ota_log!(
            Error,
            "The PAL could not create the file: status 0x",
            x08(status)
        );
        let _ = set_image_state_with_reason(sys::OtaImageStateAborted, status);
        release_file();
        return false;
    }
    true
}

/// Largest file a bitmap buffer of `capacity` bytes (0: allocated) can track, and never more
/// than a GetStream request can carry (#476, #503, #504).
fn max_blocks(capacity: u16) -> u32 {
    let bytes = if capacity == 0 {
        sys::OTA_MAX_BLOCK_BITMAP_SIZE
    } else {
        u32::from(capacity).min(sys::OTA_MAX_BLOCK_BITMAP_SIZE)
    };
    bytes.saturating_mul(8)
}

/// The data plane named by the job's protocol list, in the configured priority.
fn select_plane() -> Plane {
    // Searched in place: a few compares under the lock, no copy of the list.
    // A plane compiled out is tested first: its search is then left out of the firmware.
    let (mqtt, http) = FILE.with(|f| {
        let text = fctx::text(f, Text::Protocols);
        let has = |name: &[u8]| text.windows(name.len()).any(|w| w == name);
        // HTTP needs the pre-signed URL; without one the job cannot use it (v2.0.0 retried the
        // HTTP init until momentum shut the agent down).
        (
            MQTT_DATA && has(b"MQTT"),
            HTTP_DATA && has(b"HTTP") && !fctx::text(f, Text::Url).is_empty(),
        )
    });
    let mqtt = mqtt.then_some(Plane::Mqtt);
    let http = http.then_some(Plane::Http);
    let choice = if config::PRIMARY_DATA_PROTOCOL == sys::OTA_DATA_OVER_HTTP {
        http.or(mqtt)
    } else {
        mqtt.or(http)
    };
    choice.unwrap_or(Plane::None)
}

/// No file to download: a self test in progress, or a failed document.
fn no_file() -> Outcome {
    if image_state() == sys::OtaImageStateTesting {
        if signal(sys::OtaAgentEventStartSelfTest) {
            return Outcome::Next;
        }
        // No room for the event: begin the self test now, where its handler would have, rather
        // than leave the application without StartTest until the self-test timer resets.
        let none = sys::OtaEventMsg_t {
            pEventData: core::ptr::null_mut(),
            eventId: sys::OtaAgentEventStartSelfTest,
        };
        return match in_self_test(&none) {
            Outcome::Next => Outcome::Stay,
            other => other,
        };
    }
    ota_log!(
        Error,
        "Job document parse failed, aborting the current update"
    );
    let err =
        set_image_state_with_reason(sys::OtaImageStateAborted, sys::OtaErrJobParserError.into());
    if err != sys::OtaErrNone {
        ota_log!(Error, "Failed to abort the OTA update: OtaErr_t=", u(err));
    }
    Outcome::Fail(sys::OtaErrJobParserError)
}

/// A file to download: choose its data plane and create it (v2.0.0's processValidFileContext).
fn start_file() -> Outcome {
    if platform_in_self_test() {
        ota_log!(
            Warn,
            "Rejecting the job and resetting: the platform is in self test, the job is not"
        );
        let _ = iface::pal_reset();
        return Outcome::Next;
    }
    let plane = select_plane();
    set_plane(plane);
    if plane != Plane::None {
        return signal_or_retry(sys::OtaAgentEventCreateFile);
    }
    ota_log!(
        Error,
        "The job offers no enabled data protocol, aborting it"
    );
    let err = set_image_state_with_reason(
        sys::OtaImageStateAborted,
        sys::OtaErrInvalidDataProtocol.into(),
    );
    // The file was created for a job that cannot run (v2.0.0 left it open).
    release_file();
    match err {
        sys::OtaErrNone => {
            // v2.0.0 then sat in CreatingFile ignoring every later job; ask for the next one.
            let _ = signal(sys::OtaAgentEventRequestJobDocument);
            Outcome::Next
        }
        err => Outcome::Fail(err),
    }
}

/// Why a job's values cannot be downloaded.
#[derive(Clone, Copy)]
enum Problem {
    ZeroSize,
    /// The stream name's length.
    LongStream(usize),
    /// The file's blocks, and the most the bitmap can track.
    TooManyBlocks(u32, u32),
}

impl Problem {
    /// Logs the problem (outside the lock) and names it for the job's status.
    fn log(self) -> sys::OtaJobParseErr_t {
        match self {
            Problem::ZeroSize => sys::OtaJobParseErrZeroFileSize,
            Problem::LongStream(len) => {
                // Longer than any AWS stream ID; v2.0.0 overflowed its topic buffers with it (U3).
                ota_log!(
                    Error,
                    "The stream name has ",
                    u(len),
                    " characters, more than AWS allows"
                );
                sys::OtaJobParseErrNonConformingJobDoc
            }
            Problem::TooManyBlocks(blocks, max) => {
                ota_log!(
                    Error,
                    "The file has ",
                    u(blocks),
                    " blocks, more than the bitmap can track (",
                    u(max),
                    ")"
                );
                sys::OtaJobParseErrNonConformingJobDoc
            }
        }
    }
}

/// The file context and agent as a job document left them.
struct Look {
    problem: Option<Problem>,
    size: u32,
    file_id: u32,
    self_test: bool,
    updated_by: u32,
    same_job: bool,
    self_test_begun: bool,
}

/// Handles one job document (v2.0.0's processJobHandler, before the buffer is handed back).
pub(super) fn process(doc: &[u8]) -> Outcome {
    let id = match parse(doc) {
        Parsed::NoJob => {
            ota_log!(Info, "No pending OTA job");
            return Outcome::Stay;
        }
        Parsed::Malformed(id) => {
            if let Some(id) = id {
                report_unusable(&id, sys::OtaJobParseErrNonConformingJobDoc);
            }
            release_file();
            return no_file();
        }
        Parsed::Job(id) => id,
    };
    // One look at the document's values and the agent: when the values fit, the job becomes the
    // active one in the same lock.
    let look = AGENT.with2(&FILE, |a, f| {
        let stream_len = fctx::text(f, Text::StreamName).len();
        let problem = if f.fileSize == 0 {
            Some(Problem::ZeroSize)
        } else if stream_len > mqtt::MAX_STREAM_NAME {
            Some(Problem::LongStream(stream_len))
        } else if blocks_in(f.fileSize) > max_blocks(f.blockBitmapMaxSize) {
            Some(Problem::TooManyBlocks(
                blocks_in(f.fileSize),
                max_blocks(f.blockBitmapMaxSize),
            ))
        } else {
            None
        };
        let mut look = Look {
            problem,
            size: f.fileSize,
            file_id: f.serverFileID,
            self_test: f.isInSelfTest,
            updated_by: f.updaterVersion,
            same_job: false,
            self_test_begun: a.self_test_begun,
        };
        if look.problem.is_none() {
            look.same_job = a.has_job() && job::eq_bytes(until_nul(&a.active_job), id.as_bytes());
            if !look.same_job {
                set_text(&mut a.active_job, id.as_bytes());
            }
            a.server_file_id = look.file_id;
            // The flag belongs to this document only; v2.0.0 left it set for later jobs (#153).
            f.isInSelfTest = false;
        }
        look
    });
    if let Some(problem) = look.problem {
        report_unusable(&id, problem.log());
        release_file();
        return no_file();
    }
    let Look {
        size,
        file_id,
        self_test,
        updated_by,
        same_job,
        self_test_begun,
        ..
    } = look;
    if self_test {
        self_test_job(file_id, updated_by);
        // Nothing is downloaded for this document; v2.0.0 closed the file context here too.
        release_file();
        return no_file();
    }
    if same_job && image_state() == sys::OtaImageStateTesting {
        // The job under self test again (OTA_CheckForUpdate or OTA_Resume meanwhile): starting a
        // download here would reset the device. A StartSelfTest that an application's event got
        // ahead of (a job request or a suspend in CreatingFile) was dropped: begin it now, or
        // the self-test timer rolls the good image back.
        if !self_test_begun {
            return no_file();
        }
        ota_log!(
            Info,
            "Job document for the job under self test received; ignored"
        );
        return Outcome::Stay;
    }
    if same_job {
        // Same job again (resume, or a refreshed pre-signed URL): the new values are in place
        // and the download continues with the bitmap it has.
        ota_log!(
            Info,
            "Job document for the active job received; continuing it"
        );
        return start_file();
    }
    if platform_in_self_test() || create_file(size) {
        start_file()
    } else {
        no_file()
    }
}
