use super::json::ValueKind;
use super::*;
use proptest::prelude::*;

/// The model index of `key`, for the parameters the agent never names.
fn at(key: &[u8]) -> usize {
    MODEL.iter().position(|p| p.key == key).unwrap()
}

/// [`find_values_into`] with a fresh [`Found`].
fn find_values<'a>(doc: &'a [u8], signature_key: &[u8]) -> Result<Found<'a>, DocError> {
    let mut found = Found::default();
    find_values_into(doc, signature_key, &mut found).map(|()| found)
}

const SIG_KEY: &[u8] = b"sig-sha256-ecdsa";

/// A job document as AWS IoT Jobs sends it on `$next/get/accepted` for an MQTT OTA job.
const MQTT_JOB: &[u8] = br#"{"clientToken":"0:thing","timestamp":1700000123,"execution":{"jobId":"AFR_OTA-fw-1_2","statusDetails":{},"queuedAt":1700000000,"lastUpdatedAt":1700000001,"versionNumber":1,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-3c5e2a1b-77d1-4f5c-b9a0-1f0c2e6d8a4b","files":[{"filepath":"/device/x.bin","filesize":180568,"fileid":0,"certfile":"/certs/signer.pem","sig-sha256-ecdsa":"MEUCIQDx3Tl5+/wT9K9TYkc8tZ9YQ2G8y9vH4lV6m8qvPn3F6AIgE1z1Oe5sB0jWvX2p1QGfVt6J4n7uRr8lE3Xy0s9cP2M="}]}}}}"#;

/// After the reboot into the new image: the service still holds the job, now with the status
/// details the device reported (`self_test`, and `updatedBy` as 0xMMmmBBBB).
const SELF_TEST_JOB: &[u8] = br#"{"clientToken":"1:thing","timestamp":1700000456,"execution":{"jobId":"AFR_OTA-fw-1_2","statusDetails":{"self_test":"ready","updatedBy":"0x10002"},"queuedAt":1700000000,"lastUpdatedAt":1700000400,"versionNumber":2,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-s","files":[{"filepath":"/device/x.bin","filesize":180568,"fileid":0,"certfile":"/certs/signer.pem","sig-sha256-ecdsa":"MEUCIQD="}]}}}}"#;

/// An HTTP job: a pre-signed S3 URL instead of (or besides) a stream.
const HTTP_JOB: &[u8] = br#"{
  "clientToken": "2:thing",
  "timestamp": 1700000789,
  "execution": {
    "jobId": "AFR_OTA-http",
    "statusDetails": {},
    "jobDocument": {
      "afr_ota": {
        "protocols": ["HTTP", "MQTT"],
        "files": [
          {
            "filepath": "/device/y.bin",
            "filesize": "0x2C158",
            "fileid": 1,
            "certfile": "/certs/signer.pem",
            "update_data_url": "https://bucket.s3.amazonaws.com/y.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12",
            "auth_scheme": "aws.s3.presigned",
            "sig-sha256-ecdsa": "MEQCIB==",
            "attr": 3,
            "fileType": 0
          }
        ]
      }
    }
  }
}"#;

/// `$next/get/accepted` when the thing has no pending job (#487).
const NO_JOB: &[u8] = br#"{"clientToken":"0:thing","timestamp":1}"#;

fn text<'a>(found: &Found<'a>, index: usize) -> Option<&'a str> {
    found.get(index).map(|v| std::str::from_utf8(v).unwrap())
}

mod documents;
mod generators;
mod model;
mod oracle;
