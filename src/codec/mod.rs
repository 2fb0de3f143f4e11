//! Wire codecs with no knowledge of the agent: the base64 decoder used for job-document
//! signatures and the CBOR messages of the MQTT data plane (GetStream request/response).

pub(crate) mod base64;
pub(crate) mod cbor;

#[cfg(test)]
mod base64_tests;
#[cfg(test)]
mod cbor_tests;
