//! A job document parsed: its values found, checked and stored in the file context the way
//! v2.0.0's document model does, and what the job turned out to be.

use crate::agent::state::{
    clear_active_job, release_file, until_nul, Thing, AGENT, FILE, SIGNATURE,
};
use crate::codec::base64;
use crate::job::{self, param};
use crate::mqtt::{self, Status};
use crate::sys::fctx::{self, StoreError, Text};
use crate::sys::{self, iface};

/// What the document turned out to be.
pub(super) enum Parsed<'a> {
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
pub(super) struct JobId<'a>(&'a [u8]);

impl<'a> JobId<'a> {
    fn new(text: &'a [u8]) -> Option<JobId<'a>> {
        let ok = !text.is_empty()
            && text.len() <= mqtt::MAX_JOB_ID
            && text
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        ok.then_some(JobId(text))
    }

    pub(super) fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// Reports a job the agent cannot run as FAILED, so it does not block the device's queue
/// (v2.0.0 dropped such documents silently).
pub(super) fn report_unusable(job: &JobId<'_>, parse_error: sys::OtaJobParseErr_t) {
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

/// What storing a model value does: a text field first, in [`Text`]'s order, so the text's
/// own value is the field; then a number's field, the signature, the self-test flag.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Action {
    FilePath,
    CertFile,
    StreamName,
    Url,
    AuthScheme,
    JobName,
    Protocols,
    UpdatedBy,
    FileSize,
    FileId,
    Attributes,
    FileType,
    Signature,
    SelfTest,
    Skip,
}

/// Each model parameter's [`Action`], by index: a table of bytes, not a jump table and its arms.
const ACTIONS: [Action; job::PARAM_COUNT] = {
    let mut a = [Action::Skip; job::PARAM_COUNT];
    a[param::JOB_ID] = Action::JobName;
    a[param::SELF_TEST] = Action::SelfTest;
    a[param::UPDATED_BY] = Action::UpdatedBy;
    a[param::STREAM_NAME] = Action::StreamName;
    a[param::PROTOCOLS] = Action::Protocols;
    a[param::FILE_PATH] = Action::FilePath;
    a[param::FILE_SIZE] = Action::FileSize;
    a[param::FILE_ID] = Action::FileId;
    a[param::CERT_FILE] = Action::CertFile;
    a[param::UPDATE_DATA_URL] = Action::Url;
    a[param::AUTH_SCHEME] = Action::AuthScheme;
    a[param::SIGNATURE] = Action::Signature;
    a[param::ATTRIBUTES] = Action::Attributes;
    a[param::FILE_TYPE] = Action::FileType;
    a
};

/// The file context's field a numeric [`Action`] goes to.
fn number_slot(f: &mut sys::OtaFileContext_t, action: Action) -> &mut u32 {
    match action {
        Action::UpdatedBy => &mut f.updaterVersion,
        Action::FileSize => &mut f.fileSize,
        Action::FileId => &mut f.serverFileID,
        Action::Attributes => &mut f.fileAttributes,
        _ => &mut f.fileType,
    }
}

/// Stores each found value in model order, as far as it gets: the first failure wins.
fn store_values(found: &job::Found<'_>, same_job: bool) -> Result<(), job::DocError> {
    for ((_, value), &action) in found.iter().zip(&ACTIONS) {
        let Some(text) = value else {
            continue;
        };
        // The active job again: only a changed URL is taken.
        if same_job
            && (action != Action::Url
                || FILE.with(|f| job::eq_bytes(fctx::text(f, Text::Url), text)))
        {
            continue;
        }
        let field = match action {
            Action::FilePath => Text::FilePath,
            Action::CertFile => Text::CertFile,
            Action::StreamName => Text::StreamName,
            Action::Url => Text::Url,
            Action::AuthScheme => Text::AuthScheme,
            Action::JobName => Text::JobName,
            Action::Protocols => Text::Protocols,
            Action::UpdatedBy
            | Action::FileSize
            | Action::FileId
            | Action::Attributes
            | Action::FileType => {
                let n = job::parse_u32(text).ok_or(job::DocError::InvalidNumChar)?;
                // AWS numbers a job's files 0..=255; anything above would go out as a negative
                // `f` in every request, and every reply would be refused until momentum aborted.
                if action == Action::FileId && n > MAX_FILE_ID {
                    return Err(job::DocError::InvalidNumChar);
                }
                FILE.with(|f| *number_slot(f, action) = n);
                continue;
            }
            Action::Signature => {
                SIGNATURE.with(|s| {
                    let n = base64::decode(&mut s.data, text)
                        .map_err(|_| job::DocError::Base64Decode)?;
                    // At most the buffer's length, which fits (asserted at the top).
                    s.size = n as u16;
                    Ok::<(), job::DocError>(())
                })?;
                continue;
            }
            Action::SelfTest => {
                FILE.with(|f| f.isInSelfTest = true);
                continue;
            }
            Action::Skip => continue,
        };
        fctx::store(field, text).map_err(store_error)?;
    }
    Ok(())
}

// Out of line: the model's search results live only in this frame, not under every call the
// job's start makes afterwards (status publishes, PAL calls) on the agent's stack.
#[inline(never)]
pub(super) fn parse(doc: &[u8]) -> Parsed<'_> {
    // Cleared first, so the key is not held in registers across the clear (a smaller frame).
    let mut found = job::Found::default();
    // OTA_Init refuses to start without the application's key, so the agent always has one; an
    // empty key would match nothing, and the document would lack its signature.
    let key = sys::shim::json_file_signature_key().unwrap_or(&[]);
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
    let complete = match store(&found, same_job) {
        Err(err) => {
            ota_log!(
                Error,
                "Job document rejected: DocParseErr_t=",
                d(err.code())
            );
            false
        }
        Ok(()) if found.missing_required() => {
            ota_log!(Error, "Job document rejected: a required key is missing");
            false
        }
        Ok(()) => true,
    };
    // Without an ID the document is malformed either way: one tail for every rejection (-24 B).
    match id {
        Some(id) if complete => Parsed::Job(id),
        _ => Parsed::Malformed(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Kind, MODEL};

    #[test]
    fn actions_follow_the_model() {
        for (param, &action) in MODEL.iter().zip(&ACTIONS) {
            let expected = match (param.stored, param.kind) {
                (false, _) => action == Action::Skip,
                (true, Kind::StringCopy | Kind::ArrayCopy) => (action as u8) < 7,
                (true, Kind::UInt32) => (7..12).contains(&(action as u8)),
                (true, Kind::SigBase64) => action == Action::Signature,
                (true, Kind::Ident) => action == Action::SelfTest,
                (true, _) => false,
            };
            assert!(expected, "{:?}", param.key);
        }
    }
}
