//! Build script: configures the library from the application's `ota_config.h`.
//!
//! * bindgen turns `include/` (or `OTA_HEADERS_DIR`) plus the application's config into Rust
//!   types, so every struct has the C layout by construction and every config macro reaches
//!   Rust as a constant;
//! * the C preprocessor tells which of the application's `LogError`/`LogWarn`/`LogInfo`/
//!   `LogDebug` macros expand to something, so disabled levels cost nothing in Rust;
//! * cc compiles the small C shim that hands Rust log records to those macros and resolves the
//!   application-provided symbols weakly.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::exit;

mod bindings;
mod compiler;
mod config;
mod layout_guard;
mod log_levels;

use bindings::{ext_header, generate_bindings, write_wrapper};
use compiler::target_compiler_view;
use config::Config;
use layout_guard::write_layout_guard;
use log_levels::{log_macros_take_runtime_formats, probe_log_levels, write_log_levels};

fn fail(msg: &str) -> ! {
    // One clear sentence; cargo prints it as the build error.
    println!("cargo::error={msg}");
    exit(1);
}

fn env_path(name: &str) -> Option<PathBuf> {
    println!("cargo::rerun-if-env-changed={name}");
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        if let Err(e) = fs::write(path, text) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    let cfg = Config::from_env(&manifest);

    let wrapper = write_wrapper(&out);
    generate_bindings(&cfg, &wrapper, &out);
    let levels = probe_log_levels(&cfg, &out);
    write_log_levels(&levels, &out);
    let literal_formats =
        levels.iter().any(|(_, on)| *on) && !log_macros_take_runtime_formats(&cfg, &out);

    let guard = write_layout_guard(&out);
    // A CMake build compiles the guard again inside the firmware's own target, with its flags.
    if let Some(dir) = env_path("OTA_LAYOUT_GUARD_DIR") {
        let _ = fs::create_dir_all(&dir);
        write_if_changed(&dir.join("ota_rs_layout_guard.h"), &guard);
    }

    let shim = manifest.join("src/ffi/shim.c");
    let layout_guard = manifest.join("src/ffi/layout_guard.c");
    println!("cargo::rerun-if-changed={}", shim.display());
    println!("cargo::rerun-if-changed={}", layout_guard.display());
    let mut shim_build = cfg.cc();
    if literal_formats {
        shim_build.define("OTA_RS_LOG_LITERAL_FORMATS", None);
    }
    shim_build
        .include(&out)
        .file(&shim)
        .file(&layout_guard)
        .compile("ota_rs_shim");

    // The POSIX OS port's v2.0.0 names, as weak forwarders (ports/posix/ota_os_posix_weak.c).
    let linux = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && env::var_os("CARGO_FEATURE_OS_POSIX").is_some() {
        let weak = manifest.join("ports/posix/ota_os_posix_weak.c");
        println!("cargo::rerun-if-changed={}", weak.display());
        println!(
            "cargo::rerun-if-changed={}",
            manifest.join("ports/posix").display()
        );
        cfg.cc()
            .include(manifest.join("ports/posix"))
            .file(&weak)
            .compile("ota_rs_os_posix");
    }

    // The POSIX PAL's weak default OTA_JsonFileSignatureKey (ports/posix/ota_pal_posix_key.c).
    let unix = env::var("CARGO_CFG_UNIX").is_ok();
    if unix && env::var_os("CARGO_FEATURE_PAL_POSIX").is_some() {
        let key = manifest.join("ports/posix/ota_pal_posix_key.c");
        println!("cargo::rerun-if-changed={}", key.display());
        cfg.cc().file(&key).compile("ota_rs_pal_posix");
    }
}
