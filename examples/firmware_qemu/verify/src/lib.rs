//! The QEMU firmware's code-signature check, called by its C PAL (`../fw_pal.c`): SHA-256 over
//! memory and ECDSA P-256 verification of a DER signature (as AWS code signing makes it for
//! `sig-sha256-ecdsa`) against a public key the firmware carries. no_std, no alloc; the C edge
//! turns every bad input into `false`, nothing panics on purpose.
#![cfg_attr(not(test), no_std)]

use core::{ptr, slice};

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// A SEC1 uncompressed P-256 point: 0x04, X, Y.
pub const PUBLIC_KEY_LEN: usize = 65;
/// A SHA-256 digest.
pub const DIGEST_LEN: usize = 32;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; DIGEST_LEN] {
    Sha256::digest(data).into()
}

/// Whether `der` is a DER ECDSA signature by `public_key` over the SHA-256 digest `digest`.
pub fn verify(public_key: &[u8; PUBLIC_KEY_LEN], digest: &[u8; DIGEST_LEN], der: &[u8]) -> bool {
    if public_key[0] != 0x04 {
        // Only the uncompressed form: the trust anchor is compiled in, it needs no other.
        return false;
    }
    let Ok(key) = VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(signature) = Signature::from_der(der) else {
        return false;
    };
    key.verify_prehash(digest, &signature).is_ok()
}

/// `len` bytes at `data` as a slice; `None` for NULL with a length, or a length no slice has.
///
/// # Safety
/// Unless NULL, `data` points to `len` bytes that stay readable and unchanged for `'a`.
unsafe fn input<'a>(data: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if data.is_null() || len > isize::MAX as usize {
        return None;
    }
    // SAFETY: non-NULL and at most isize::MAX bytes (checked above); the caller promises they
    // are readable and unchanged for 'a, and u8 needs no alignment.
    Some(unsafe { slice::from_raw_parts(data, len) })
}

/// Writes the SHA-256 of the `len` bytes at `data` to the 32 bytes at `out`. Returns false (and
/// writes nothing) for NULL `out`, or NULL `data` with a non-zero `len`.
///
/// # Safety
/// `data` points to `len` readable bytes (or `len` is 0); `out` points to 32 writable bytes,
/// which may overlap the input.
#[no_mangle]
pub unsafe extern "C" fn fw_sha256(data: *const u8, len: usize, out: *mut u8) -> bool {
    // SAFETY: the caller's contract for `data` and `len`, as `input` requires.
    let Some(bytes) = (unsafe { input(data, len) }) else {
        return false;
    };
    if out.is_null() {
        return false;
    }
    let digest = sha256(bytes);
    // SAFETY: `out` is non-NULL (checked) and the caller promises 32 writable bytes there;
    // `digest` is a local copy, so an `out` overlapping the input is fine.
    unsafe { ptr::copy(digest.as_ptr(), out, DIGEST_LEN) };
    true
}

/// Whether the `der_len` bytes at `der` are a DER ECDSA P-256 signature by the SEC1 uncompressed
/// key at `public_key` (65 bytes) over the SHA-256 digest at `digest` (32 bytes). Any NULL
/// pointer, a key that is not a curve point, or a malformed signature gives false.
///
/// # Safety
/// Each non-NULL pointer points to that many readable bytes: 65 at `public_key`, 32 at
/// `digest`, `der_len` at `der`.
#[no_mangle]
pub unsafe extern "C" fn fw_verify_p256(
    public_key: *const u8,
    digest: *const u8,
    der: *const u8,
    der_len: usize,
) -> bool {
    // SAFETY: each pointer is passed with the length the caller promises is readable there.
    let parts = unsafe {
        (
            input(public_key, PUBLIC_KEY_LEN),
            input(digest, DIGEST_LEN),
            input(der, der_len),
        )
    };
    let (Some(public_key), Some(digest), Some(der)) = parts else {
        return false;
    };
    match (
        <&[u8; PUBLIC_KEY_LEN]>::try_from(public_key),
        <&[u8; DIGEST_LEN]>::try_from(digest),
    ) {
        (Ok(public_key), Ok(digest)) => verify(public_key, digest, der),
        _ => false,
    }
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // A trap, not newlib's abort: the firmware's HardFault handler prints FAULT and ends the run.
    #[cfg(target_arch = "arm")]
    // SAFETY: `udf` raises an exception and touches neither memory nor the stack.
    unsafe {
        core::arch::asm!("udf #0", options(noreturn, nomem, nostack))
    }
    #[cfg(not(target_arch = "arm"))]
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::SigningKey;

    fn key(seed: u8) -> SigningKey {
        let mut scalar = [0x11u8; 32];
        scalar[31] = seed;
        SigningKey::from_bytes(&scalar.into()).expect("a valid scalar")
    }

    fn public(key: &SigningKey) -> [u8; PUBLIC_KEY_LEN] {
        let point = key.verifying_key().to_encoded_point(false);
        point.as_bytes().try_into().expect("65 bytes")
    }

    fn signed(key: &SigningKey, message: &[u8]) -> ([u8; DIGEST_LEN], Vec<u8>) {
        let digest = sha256(message);
        let signature: Signature = key.sign_prehash(&digest).expect("signs");
        (digest, signature.to_der().as_bytes().to_vec())
    }

    fn ffi_verify(public_key: &[u8], digest: &[u8], der: &[u8]) -> bool {
        // SAFETY: test slices of the lengths the function reads (callers pass 65 and 32).
        unsafe {
            fw_verify_p256(
                public_key.as_ptr(),
                digest.as_ptr(),
                der.as_ptr(),
                der.len(),
            )
        }
    }

    #[test]
    fn sha256_of_abc_is_the_fips_180_2_example() {
        let mut out = [0u8; DIGEST_LEN];
        // SAFETY: 3 readable bytes in, 32 writable bytes out.
        assert!(unsafe { fw_sha256(b"abc".as_ptr(), 3, out.as_mut_ptr()) });
        assert_eq!(
            out[..8],
            [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea],
            "SHA-256(\"abc\") begins ba7816bf 8f01cfea"
        );
        assert_eq!(out, sha256(b"abc"));
    }

    #[test]
    fn sha256_refuses_null_pointers_but_hashes_empty_input() {
        let mut out = [0u8; DIGEST_LEN];
        // SAFETY: NULL with a length is refused before any read; out is 32 writable bytes.
        assert!(!unsafe { fw_sha256(ptr::null(), 4, out.as_mut_ptr()) });
        // SAFETY: 3 readable bytes in; a NULL out is refused before any write.
        assert!(!unsafe { fw_sha256(b"abc".as_ptr(), 3, ptr::null_mut()) });
        // SAFETY: nothing is read for a zero length; out is 32 writable bytes.
        assert!(unsafe { fw_sha256(ptr::null(), 0, out.as_mut_ptr()) });
        assert_eq!(out, sha256(b""));
    }

    #[test]
    fn signature_by_the_key_over_the_digest_verifies() {
        let signer = key(1);
        let (digest, der) = signed(&signer, b"firmware image bytes");
        assert!(ffi_verify(&public(&signer), &digest, &der));
    }

    #[test]
    fn any_flipped_signature_byte_is_rejected() {
        let signer = key(2);
        let (digest, der) = signed(&signer, b"firmware image bytes");
        for i in 0..der.len() {
            let mut bad = der.clone();
            bad[i] ^= 0x01;
            assert!(
                !ffi_verify(&public(&signer), &digest, &bad),
                "byte {i} flipped"
            );
        }
    }

    #[test]
    fn other_digest_or_other_key_is_rejected() {
        let signer = key(3);
        let (digest, der) = signed(&signer, b"firmware image bytes");
        assert!(!ffi_verify(&public(&signer), &sha256(b"other bytes"), &der));
        assert!(!ffi_verify(&public(&key(4)), &digest, &der));
    }

    #[test]
    fn malformed_signature_or_key_is_rejected() {
        let signer = key(5);
        let (digest, der) = signed(&signer, b"image");
        let raw: Signature = Signature::from_der(&der).expect("DER");
        assert!(
            !ffi_verify(&public(&signer), &digest, &raw.to_bytes()),
            "raw r||s is not DER"
        );
        assert!(
            !ffi_verify(&public(&signer), &digest, &der[..der.len() - 1]),
            "truncated"
        );
        assert!(!ffi_verify(&public(&signer), &digest, &[]), "empty");
        let mut off_curve = public(&signer);
        off_curve[64] ^= 0x01;
        assert!(!ffi_verify(&off_curve, &digest, &der), "not a curve point");
        let mut compressed_tag = public(&signer);
        compressed_tag[0] = 0x02;
        assert!(
            !ffi_verify(&compressed_tag, &digest, &der),
            "not the uncompressed form"
        );
    }

    #[test]
    fn null_pointers_are_rejected() {
        let signer = key(6);
        let (digest, der) = signed(&signer, b"image");
        let key = public(&signer);
        // SAFETY: every non-NULL pointer has the length read there; NULLs are refused first.
        unsafe {
            assert!(!fw_verify_p256(
                ptr::null(),
                digest.as_ptr(),
                der.as_ptr(),
                der.len()
            ));
            assert!(!fw_verify_p256(
                key.as_ptr(),
                ptr::null(),
                der.as_ptr(),
                der.len()
            ));
            assert!(!fw_verify_p256(
                key.as_ptr(),
                digest.as_ptr(),
                ptr::null(),
                der.len()
            ));
        }
    }
}
