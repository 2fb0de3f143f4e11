//! The C exports: each checks its pointers, converts, and calls safe Rust. Nothing here is
//! reached from the rest of the crate.

//WIP pub mod agent;
//TMP pub mod codec;
pub mod strerror;
