//! Code signature: the signer's key from a trusted certificate, the image digest, the check.

use super::*;

/// Why a signature check failed; each is the SDK PAL's status for that case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CheckError {
    /// No usable P-256 public key from the signer certificate: `OtaPalBadSignerCert`.
    BadSignerCert,
    /// Anything else (no file, no or malformed signature, mismatch): `OtaPalSignatureCheckFailed`.
    SignatureCheckFailed,
}

impl CheckError {
    pub(super) fn status(self) -> sys::OtaPalMainStatus {
        match self {
            CheckError::BadSignerCert => sys::OtaPalBadSignerCert,
            CheckError::SignatureCheckFailed => sys::OtaPalSignatureCheckFailed,
        }
    }
}

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first `-----BEGIN CERTIFICATE-----` ... `-----END CERTIFICATE-----` block of a PEM
/// file; text around it (as `openssl x509 -text` writes) is ignored.
pub(super) fn certificate_block(pem: &[u8]) -> Option<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let rest = pem.get(find(pem, BEGIN)?..)?;
    rest.get(..find(rest, END)?.checked_add(END.len())?)
}

/// The DER of the SubjectPublicKeyInfo in an X.509 certificate (RFC 5280, section 4.1), found
/// by walking Certificate and TBSCertificate in place; everything else is only skipped over.
pub(super) fn subject_public_key_info(certificate: &[u8]) -> der::Result<&[u8]> {
    use der::{Reader, SliceReader, Tag, TagNumber};
    const VERSION: Tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    let mut reader = SliceReader::new(certificate)?;
    let spki = reader.sequence(|cert| {
        let spki = cert.sequence(|tbs| {
            if tbs.peek_tag()? == VERSION {
                tbs.tlv_bytes()?;
            }
            // serialNumber, signature, issuer, validity, subject.
            for _ in 0..5 {
                tbs.tlv_bytes()?;
            }
            let spki = tbs.tlv_bytes()?;
            // Unique identifiers and extensions.
            while !tbs.is_finished() {
                tbs.tlv_bytes()?;
            }
            Ok(spki)
        })?;
        // signatureAlgorithm, signatureValue.
        cert.tlv_bytes()?;
        cert.tlv_bytes()?;
        Ok(spki)
    })?;
    reader.finish(spki)
}

/// The P-256 public key of the first certificate in a PEM file's contents.
pub(super) fn signer_key_from_pem(pem: &[u8]) -> Option<VerifyingKey> {
    let block = certificate_block(pem)?;
    let mut der_buf = [0u8; CERT_DER_MAX];
    let (label, der) = pem_rfc7468::decode(block, &mut der_buf).ok()?;
    if label != "CERTIFICATE" {
        return None;
    }
    let spki = subject_public_key_info(der).ok()?;
    // Checks the algorithm (id-ecPublicKey) and the curve (secp256r1) too.
    p256::PublicKey::from_public_key_der(spki)
        .ok()
        .map(VerifyingKey::from)
}

/// The P-256 key of the trusted certificate the job names: one the application gave under that
/// name, else the PEM file of that name directly in the trust store folder. The name must be
/// plain (no path, see [`plain_cert_name`]); the file must be a regular file, not a symlink, and
/// not the received image itself (`image`). Kept out of line so its buffers are off the stack
/// before the image is hashed.
#[inline(never)]
pub(super) fn load_signer_key(name: &CStr, image: Option<Identity>) -> Option<VerifyingKey> {
    if !plain_cert_name(name.to_bytes()) {
        ota_log!(
            Error,
            "Refused signer certificate name ",
            s(name),
            ": not a plain name."
        );
        return None;
    }
    if let Some(key) = given_certificate(name.to_bytes()) {
        return Some(key);
    }
    let mut pem = [0u8; CERT_PEM_MAX];
    let len = match read_trusted_file(name, image, &mut pem) {
        Ok(len) => len,
        Err(e) => {
            ota_log!(
                Error,
                "Cannot read signer certificate ",
                s(name),
                ": errno=",
                u(e)
            );
            return None;
        }
    };
    let key = signer_key_from_pem(pem.get(..len)?);
    if key.is_none() {
        ota_log!(
            Error,
            "Signer certificate ",
            s(name),
            " is not a PEM X.509 certificate with a P-256 key"
        );
    }
    key
}

/// Reads the first `buf.len()` bytes of the trust store's file `name`. `EPERM` when no trust
/// store folder is configured, when the file is not a regular file or when it is the image.
pub(super) fn read_trusted_file(
    name: &CStr,
    image: Option<Identity>,
    buf: &mut [u8],
) -> Result<usize, u32> {
    let root = Folder::Trust.path().ok_or(code(libc::EPERM))?;
    let dir = Fd::open_dir(root.as_c_str().ok_or(code(libc::EINVAL))?)?;
    // O_NONBLOCK: a FIFO put there must not hang the agent; it is refused below.
    let file = dir.open_at(name, libc::O_RDONLY | libc::O_NONBLOCK)?;
    let meta = file.meta()?;
    if !meta.is_file() {
        return Err(code(libc::EPERM));
    }
    if image == Some(meta.id) {
        ota_log!(
            Error,
            "Refused: the signer certificate is the received image."
        );
        return Err(code(libc::EPERM));
    }
    file.read(buf)
}

/// The job's DER signature, or `None` when it is empty, oversized or malformed.
pub(super) fn parse_signature(signature: &sys::Sig256_t) -> Option<Signature> {
    let der = signature.data.get(..usize::from(signature.size))?;
    if der.is_empty() {
        return None;
    }
    Signature::from_der(der).ok()
}

/// SHA-256 of everything `read` yields, in fixed chunks.
pub(super) fn digest_of(
    mut read: impl FnMut(&mut [u8]) -> Result<usize, u32>,
) -> Result<[u8; 32], u32> {
    let mut hasher = Sha256::new();
    let mut chunk = [0u8; HASH_CHUNK];
    loop {
        let n = read(&mut chunk)?;
        hasher.update(chunk.get(..n).unwrap_or(&[]));
        if n < chunk.len() {
            return Ok(hasher.finalize().into());
        }
    }
}

/// Checks the image in `file` against the job's signature and signer certificate, in the
/// order the SDK's PAL does, so each failure gets the same status.
pub(super) fn check_signature(
    cert_name: Option<&CStr>,
    signature: Option<&sys::Sig256_t>,
    file: Option<&mut Stream>,
    image: Option<Identity>,
) -> Result<(), CheckError> {
    let Some(signature) = signature else {
        ota_log!(
            Error,
            "Parameter check failed: OTA signature structure is NULL."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    let Some(key) = cert_name.and_then(|name| load_signer_key(name, image)) else {
        ota_log!(
            Error,
            "File signature check failed: no public key from the signer certificate."
        );
        return Err(CheckError::BadSignerCert);
    };
    let Some(file) = file else {
        ota_log!(Error, "File signature check failed: no open file.");
        return Err(CheckError::SignatureCheckFailed);
    };
    let Some(signature) = parse_signature(signature) else {
        ota_log!(
            Error,
            "File signature check failed: the signature (",
            u(signature.size),
            " bytes) is not DER ECDSA."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    let digest = file.seek(0).and_then(|()| digest_of(|buf| file.read(buf)));
    let Ok(digest) = digest else {
        ota_log!(
            Error,
            "File signature check failed: cannot read the received file."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    key.verify_prehash(&digest, &signature).map_err(|_| {
        ota_log!(
            Error,
            "File signature check failed: the signature does not match."
        );
        CheckError::SignatureCheckFailed
    })
}

extern "C" {
    /// The `OTA_JsonFileSignatureKey` in effect: the application's, or this PAL's weak default
    /// (ports/posix/ota_pal_posix_key.c). Calling it is also what links that default in.
    pub(super) fn ota_rs_pal_posix_signature_key() -> *const c_char;
}

pub(super) fn signature_key_name() -> &'static CStr {
    // SAFETY: returns the address of a NUL-terminated `const char[32]` with static storage.
    let name = unsafe { ota_rs_pal_posix_signature_key() };
    if name.is_null() {
        return c"";
    }
    // SAFETY: non-NULL, NUL-terminated and static (above).
    unsafe { CStr::from_ptr(name) }
}
