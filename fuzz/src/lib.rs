//! Shared parts of the fuzz targets: the v2.0.0 C types, the scripted world the agent runs in,
//! and small encoders for the inputs the cloud sends (CBOR stream blocks, job documents).

pub mod sys {
    //! The C types of include/ as bindgen laid them out for c_tests/config/ota_config.h.
    #![allow(
        non_upper_case_globals,
        non_camel_case_types,
        non_snake_case,
        dead_code,
        clippy::all
    )]
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

pub mod cbor;
pub mod doc;
pub mod record;
pub mod resume;
pub mod script;
pub mod world;
