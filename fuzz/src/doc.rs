//! Job documents as AWS IoT Jobs sends them on `$next/get/accepted`, with fields the fuzzer
//! picks: the shape is valid JSON so the fuzzer spends its time in the agent, not in the lexer.

/// A job document's OTA fields; `None` leaves a key out.
#[derive(Clone, Debug, Default)]
pub struct Job {
    pub job_id: Option<String>,
    pub protocols: Option<String>,
    pub stream: Option<String>,
    pub file_size: Option<String>,
    pub file_id: Option<String>,
    pub file_path: Option<String>,
    pub cert_file: Option<String>,
    pub url: Option<String>,
    pub auth_scheme: Option<String>,
    pub signature: Option<String>,
    pub self_test: Option<String>,
    pub updated_by: Option<String>,
}

/// The signature every generated job carries (base64 of 01..08).
pub const SIGNATURE: &str = "AQIDBAUGBwg=";

impl Job {
    /// A complete MQTT job.
    pub fn mqtt(id: &str, stream: &str, size: u32, file_id: u32) -> Job {
        Job {
            job_id: Some(id.into()),
            protocols: Some("[\"MQTT\"]".into()),
            stream: Some(stream.into()),
            file_size: Some(size.to_string()),
            file_id: Some(file_id.to_string()),
            file_path: Some("/fw/image.bin".into()),
            cert_file: Some("signer.crt".into()),
            signature: Some(SIGNATURE.into()),
            ..Job::default()
        }
    }

    /// A complete HTTP job.
    pub fn http(id: &str, size: u32) -> Job {
        Job {
            job_id: Some(id.into()),
            protocols: Some("[\"HTTP\"]".into()),
            file_size: Some(size.to_string()),
            file_id: Some("0".into()),
            file_path: Some("/fw/image.bin".into()),
            cert_file: Some("signer.crt".into()),
            url: Some("https://bucket.example/fw.bin?X-Amz-Signature=ab".into()),
            auth_scheme: Some("aws.s3.presigned".into()),
            signature: Some(SIGNATURE.into()),
            ..Job::default()
        }
    }

    /// The document text.
    pub fn json(&self) -> String {
        // Only what the agent reads: the parser's time per document is most of a run's.
        let mut d = String::from("{\"execution\":{");
        if let Some(id) = &self.job_id {
            d += &format!("\"jobId\":\"{id}\",");
        }
        if self.self_test.is_some() || self.updated_by.is_some() {
            let mut parts = Vec::new();
            if let Some(s) = &self.self_test {
                parts.push(format!("\"self_test\":\"{s}\""));
            }
            if let Some(v) = &self.updated_by {
                parts.push(format!("\"updatedBy\":\"{v}\""));
            }
            d += &format!("\"statusDetails\":{{{}}},", parts.join(","));
        }
        d += "\"jobDocument\":{\"afr_ota\":{";
        if let Some(p) = &self.protocols {
            d += &format!("\"protocols\":{p},");
        }
        if let Some(s) = &self.stream {
            d += &format!("\"streamname\":\"{s}\",");
        }
        let mut fields = Vec::new();
        let mut field = |k: &str, v: &Option<String>, quoted: bool| {
            if let Some(v) = v {
                fields.push(if quoted {
                    format!("\"{k}\":\"{v}\"")
                } else {
                    format!("\"{k}\":{v}")
                });
            }
        };
        field("filepath", &self.file_path, true);
        field("filesize", &self.file_size, false);
        field("fileid", &self.file_id, false);
        field("certfile", &self.cert_file, true);
        field("update_data_url", &self.url, true);
        field("auth_scheme", &self.auth_scheme, true);
        field("sig-sha256-ecdsa", &self.signature, true);
        d += &format!("\"files\":[{{{}}}]}}}}}}}}", fields.join(","));
        d
    }
}
