//! Job creation: a firmware file and an ECDSA P-256 signing key become a job definition holding
//! the `afr_ota` document AWS IoT builds for an OTA update.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};

/// Largest firmware file accepted (AWS OTA's own limit for a stream file is far above what the
/// tests use; this bounds the simulator's memory).
pub const MAX_FIRMWARE_BYTES: u64 = 64 * 1024 * 1024;

/// A job as the simulator stores it in `<state>/jobs/<jobId>.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobDef {
    pub job_id: String,
    pub stream: String,
    pub file_id: u32,
    pub stream_version: u32,
    /// Where the device stores the file (the job's `filepath`).
    pub filepath: String,
    pub filesize: u64,
    /// The signer certificate's name on the device (the job's `certfile`).
    pub certfile: String,
    pub protocols: Vec<String>,
    /// DER ECDSA signature over the file, base64 (the job's `sig-sha256-ecdsa`).
    pub signature: String,
    /// The firmware file on the simulator's side.
    pub firmware: PathBuf,
    pub things: Vec<String>,
    /// Seconds an IN_PROGRESS execution may last before it becomes TIMED_OUT (0: no limit).
    #[serde(default)]
    pub in_progress_timeout_s: u64,
}

/// Inputs of `create-job`, each checked by [`create`].
pub struct CreateArgs<'a> {
    pub job_id: &'a str,
    pub firmware: &'a Path,
    pub signing_key: &'a Path,
    pub filepath: &'a str,
    pub certfile: &'a str,
    pub protocols: &'a str,
    pub things: &'a str,
    pub file_id: u32,
    pub in_progress_timeout_s: u64,
}

/// jobId rule of the Jobs API: 1-64 of `[a-zA-Z0-9_-]`.
pub fn valid_job_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Thing name rule of AWS IoT: 1-128 of `[a-zA-Z0-9:_-]`.
pub fn valid_thing_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'-')
}

/// Expands `prefix-[1..N]` ranges so a fleet's job names its thousand things in one argument.
fn expand_things(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in list.split(',').filter(|s| !s.is_empty()) {
        if let Some((prefix, range)) = item.split_once('[') {
            let range = range
                .strip_suffix(']')
                .ok_or_else(|| format!("the thing range {item:?} lacks its closing ']'."))?;
            let (a, b) = range
                .split_once("..")
                .ok_or_else(|| format!("the thing range {item:?} must look like name[1..20]."))?;
            let (a, b): (u32, u32) = (
                a.parse().map_err(|_| format!("bad number in {item:?}."))?,
                b.parse().map_err(|_| format!("bad number in {item:?}."))?,
            );
            if a > b || b - a >= 100_000 {
                return Err(format!("the thing range {item:?} is empty or too large."));
            }
            out.extend((a..=b).map(|i| format!("{prefix}{i}")));
        } else {
            out.push(item.to_string());
        }
    }
    if out.is_empty() {
        return Err("the job names no thing (--things a,b or --things dev-[1..20]).".into());
    }
    if let Some(bad) = out.iter().find(|t| !valid_thing_name(t)) {
        return Err(format!(
            "{bad:?} is not a thing name AWS IoT accepts (1-128 of a-z A-Z 0-9 : _ -)."
        ));
    }
    Ok(out)
}

/// Checks the inputs, signs the firmware and returns the job definition.
pub fn create(args: &CreateArgs) -> Result<JobDef, String> {
    if !valid_job_id(args.job_id) {
        return Err(format!(
            "{:?} is not a job ID AWS IoT accepts (1-64 of a-z A-Z 0-9 _ -).",
            args.job_id
        ));
    }
    let meta = fs::metadata(args.firmware)
        .map_err(|e| format!("cannot read the firmware file {:?}: {e}.", args.firmware))?;
    if !meta.is_file() || meta.len() == 0 {
        return Err(format!(
            "the firmware file {:?} is empty or not a regular file.",
            args.firmware
        ));
    }
    if meta.len() > MAX_FIRMWARE_BYTES {
        return Err(format!(
            "the firmware file {:?} is larger than {MAX_FIRMWARE_BYTES} bytes.",
            args.firmware
        ));
    }
    let firmware = fs::read(args.firmware)
        .map_err(|e| format!("cannot read the firmware file {:?}: {e}.", args.firmware))?;
    let pem = fs::read_to_string(args.signing_key)
        .map_err(|e| format!("cannot read the signing key {:?}: {e}.", args.signing_key))?;
    let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
        format!(
            "the signing key {:?} is not an ECDSA P-256 private key in PKCS#8 PEM.",
            args.signing_key
        )
    })?;
    // ECDSA over SHA-256 of the file, DER-encoded: what AWS code signing emits for P-256.
    let signature: Signature = key.sign(&firmware);
    let signature = base64::engine::general_purpose::STANDARD.encode(signature.to_der());

    let protocols: Vec<String> = args
        .protocols
        .split(',')
        .map(|p| p.trim().to_ascii_uppercase())
        .filter(|p| !p.is_empty())
        .collect();
    if protocols.is_empty() || protocols.iter().any(|p| p != "MQTT" && p != "HTTP") {
        return Err(format!(
            "protocols {:?} must be MQTT, HTTP or both (MQTT,HTTP).",
            args.protocols
        ));
    }
    if args.filepath.is_empty() || args.filepath.len() > 1024 {
        return Err("the device file path (--filepath) must be 1-1024 characters.".into());
    }
    if args.certfile.is_empty() || args.certfile.len() > 1024 {
        return Err("the signer certificate name (--certfile) must be 1-1024 characters.".into());
    }
    if args.file_id > 255 {
        return Err("the file ID must be 0-255, as in an AWS IoT stream.".into());
    }
    let things = expand_things(args.things)?;
    let firmware_path = fs::canonicalize(args.firmware)
        .map_err(|e| format!("cannot resolve {:?}: {e}.", args.firmware))?;
    Ok(JobDef {
        job_id: args.job_id.to_string(),
        // AWS names the stream of an OTA update AFR_OTA-<uuid>; the job's name keeps it readable.
        stream: format!("AFR_OTA-{}", args.job_id),
        file_id: args.file_id,
        stream_version: 1,
        filepath: args.filepath.to_string(),
        filesize: meta.len(),
        certfile: args.certfile.to_string(),
        protocols,
        signature,
        firmware: firmware_path,
        things,
        in_progress_timeout_s: args.in_progress_timeout_s,
    })
}

/// Reads a job definition file back, with the same checks a created one passed.
pub fn load(path: &Path) -> Result<JobDef, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {path:?}: {e}."))?;
    let def: JobDef = serde_json::from_str(&text)
        .map_err(|e| format!("the job definition {path:?} is not valid: {e}."))?;
    if !valid_job_id(&def.job_id) || def.things.iter().any(|t| !valid_thing_name(t)) {
        return Err(format!(
            "the job definition {path:?} has a bad job ID or thing name."
        ));
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thing_ranges_expand_and_bad_names_are_refused() {
        assert_eq!(
            expand_things("a,d-[1..3]").unwrap(),
            vec!["a", "d-1", "d-2", "d-3"]
        );
        assert!(expand_things("bad/name").is_err());
        assert!(expand_things("x-[3..1]").is_err());
        assert!(expand_things("").is_err());
    }

    #[test]
    fn job_ids_follow_the_jobs_api_rule() {
        assert!(valid_job_id("AFR_OTA-demo-1"));
        assert!(!valid_job_id("has space"));
        assert!(!valid_job_id(&"x".repeat(65)));
    }
}
