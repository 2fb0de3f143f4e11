//! The C exports: each checks its pointers, converts, and calls safe Rust. Nothing here is
//! reached from the rest of the crate. Parameters keep their v2.0.0 names.
#![allow(non_snake_case)]

pub(crate) mod agent;
pub(crate) mod codec;
pub(crate) mod strerror;
