//! Builds the libota.a under test with the fuzzer's instrumentation and links it.
//!
//! The root crate is a staticlib only (an rlib would break its fat LTO), so it cannot be a
//! Rust dependency: this script runs cargo on it with the flags cargo fuzz gave this crate
//! (sanitizer coverage, AddressSanitizer, `--cfg fuzzing`), into fuzz/target/libota, keeps only
//! the library's own archive members as scripts/finish-archive.sh does, and links the result as
//! a static C library. The fuzz targets then reach the library through the v2.0.0 C API alone.
//! The configuration is c_tests/config/ota_config.h: MQTT and HTTP data planes, momentum 3,
//! four blocks per request, every log level but Debug on (records go to support/log_sink.c).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fail(msg: &str) -> ! {
    println!("cargo::error={msg}");
    std::process::exit(1);
}

fn env_or_fail(name: &str) -> String {
    env::var(name).unwrap_or_else(|_| fail(&format!("cargo did not set {name}")))
}

/// The v2.0.0 headers bindgen reads, in include order.
const HEADERS: [&str; 10] = [
    "ota.h",
    "ota_ext.h",
    "ota_private.h",
    "ota_os_interface.h",
    "ota_mqtt_interface.h",
    "ota_http_interface.h",
    "ota_platform_interface.h",
    "ota_cbor_private.h",
    "ota_base64_private.h",
    "ota_appversion32.h",
];

fn main() {
    let fuzz = PathBuf::from(env_or_fail("CARGO_MANIFEST_DIR"));
    // OTA_FUZZ_LIB_DIR fuzzes another checkout of the library (e.g. a clean export of a commit).
    println!("cargo::rerun-if-env-changed=OTA_FUZZ_LIB_DIR");
    let root = match env::var_os("OTA_FUZZ_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => fuzz
            .parent()
            .unwrap_or_else(|| fail("fuzz/ has no parent folder"))
            .to_path_buf(),
    };
    let out = PathBuf::from(env_or_fail("OUT_DIR"));
    let target = env_or_fail("TARGET");
    let config = root.join("c_tests/config");
    let log_include = root.join("c_tests/support");

    for path in [
        "src",
        "ports",
        "include",
        "buildscript",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(path).display());
    }
    println!("cargo::rerun-if-changed={}", config.display());
    println!("cargo::rerun-if-changed=support");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");

    build_library(&root, &fuzz, &out, &target, &config, &log_include);
    generate_bindings(&root, &out, &config, &log_include);

    cc::Build::new()
        .file(fuzz.join("support/log_sink.c"))
        .include(&log_include)
        .warnings(true)
        .compile("ota_fuzz_log_sink");
}

/// cargo on the root crate, instrumented like this crate, then the archive's own members.
fn build_library(
    root: &Path,
    fuzz: &Path,
    out: &Path,
    target: &str,
    config: &Path,
    log_include: &Path,
) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let target_dir = fuzz.join("target/libota");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--release", "--lib", "--no-default-features"])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["--target", target])
        .arg("--target-dir")
        .arg(&target_dir)
        // The flags reach the library only, not its build script (bindgen stays uninstrumented).
        .env("CARGO_ENCODED_RUSTFLAGS", &flags)
        // The sanitizer and coverage flags are unstable; cargo fuzz runs with this set too.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("OTA_CONFIG_DIR", config)
        .env("OTA_CONFIG_INCLUDE_DIRS", log_include)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("OTA_HEADERS_DIR");
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run cargo on the root crate: {e}")));
    if !status.success() {
        fail("cargo build of the root crate (libota.a) failed; see the output above");
    }
    let built = target_dir.join(target).join("release/libota.a");
    let finished = out.join("libota.a");
    let status = Command::new("bash")
        .arg(root.join("scripts/finish-archive.sh"))
        .arg(&built)
        .arg(&finished)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run scripts/finish-archive.sh: {e}")));
    if !status.success() {
        fail("scripts/finish-archive.sh failed on the instrumented libota.a");
    }
    println!("cargo::rustc-link-search=native={}", out.display());
    println!("cargo::rustc-link-lib=static=ota");
}

fn generate_bindings(root: &Path, out: &Path, config: &Path, log_include: &Path) {
    let mut wrapper =
        String::from("#include <stdint.h>\n#include <stdbool.h>\n#include <stddef.h>\n");
    for header in HEADERS {
        wrapper.push_str(&format!("#include \"{header}\"\n"));
    }
    let wrapper_path = out.join("ota_fuzz_wrapper.h");
    if fs::write(&wrapper_path, wrapper).is_err() {
        fail("cannot write the bindgen wrapper header");
    }
    let include = root.join("include");
    let bindings = bindgen::Builder::default()
        .header(wrapper_path.display().to_string())
        .clang_arg(format!("-I{}", include.display()))
        .clang_arg(format!("-I{}", config.display()))
        .clang_arg(format!("-I{}", log_include.display()))
        .allowlist_file(format!("{}/.*", include.display()))
        // The application defines these two (src/world.rs); the headers declare them.
        .blocklist_item("appFirmwareVersion")
        .blocklist_item("OTA_JsonFileSignatureKey")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(false)
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .unwrap_or_else(|e| fail(&format!("bindgen could not read include/: {e}")));
    if bindings.write_to_file(out.join("bindings.rs")).is_err() {
        fail("cannot write the generated bindings");
    }
}
