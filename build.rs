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

/// Config macros mirrored into Rust (see src/config.rs), all integer-valued.
const CONFIG_MACROS: &[&str] = &[
    "otaconfigLOG2_FILE_BLOCK_SIZE",
    "otaconfigSELF_TEST_RESPONSE_WAIT_MS",
    "otaconfigFILE_REQUEST_WAIT_MS",
    "otaconfigMAX_THINGNAME_LEN",
    "otaconfigMAX_NUM_BLOCKS_REQUEST",
    "otaconfigMAX_NUM_REQUEST_MOMENTUM",
    "otaconfigOTA_UPDATE_STATUS_FREQUENCY",
    "otaconfigMAX_NUM_OTA_DATA_BUFFERS",
    "otaconfigAllowDowngrade",
    "configENABLED_CONTROL_PROTOCOL",
    "configENABLED_DATA_PROTOCOLS",
    "configOTA_PRIMARY_DATA_PROTOCOL",
    "OTA_FILE_BLOCK_SIZE",
    "OTA_MAX_BLOCK_BITMAP_SIZE",
    "OTA_REQUEST_MSG_MAX_SIZE",
    "OTA_REQUEST_URL_MAX_SIZE",
    "OTA_DATA_BLOCK_SIZE",
    "OTA_FILE_SIG_KEY_STR_MAX_LENGTH",
    "OTA_NUM_MSG_Q_ENTRIES",
];

const LOG_LEVELS: &[(&str, &str)] = &[
    ("LogError", "LOG_ERROR"),
    ("LogWarn", "LOG_WARN"),
    ("LogInfo", "LOG_INFO"),
    ("LogDebug", "LOG_DEBUG"),
];

/// Headers that make up the public and private v2.0.0 surface the Rust code sees.
const HEADERS: &[&str] = &[
    "ota.h",
    "ota_private.h",
    "ota_os_interface.h",
    "ota_mqtt_interface.h",
    "ota_http_interface.h",
    "ota_platform_interface.h",
    "ota_appversion32.h",
    "ota_base64_private.h",
    "ota_cbor_private.h",
    "ota_mqtt_private.h",
    "ota_http_private.h",
    "ota_interface_private.h",
];

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

struct Config {
    headers: PathBuf,
    /// This crate's include/, for the extension header it alone has.
    own_headers: PathBuf,
    config_dir: Option<PathBuf>,
    extra_includes: Vec<PathBuf>,
}

impl Config {
    fn from_env(manifest: &Path) -> Config {
        let headers = env_path("OTA_HEADERS_DIR").unwrap_or_else(|| manifest.join("include"));
        if !headers.join("ota.h").is_file() {
            fail(&format!(
                "OTA_HEADERS_DIR={} holds no ota.h; point it at a folder with the v2.0.0 headers or unset it",
                headers.display()
            ));
        }
        let config_dir = env_path("OTA_CONFIG_DIR");
        if let Some(dir) = &config_dir {
            if !dir.join("ota_config.h").is_file() {
                fail(&format!(
                    "OTA_CONFIG_DIR={} has no ota_config.h; create it there, point OTA_CONFIG_DIR at the folder that has it, or unset OTA_CONFIG_DIR to build with the v2.0.0 defaults",
                    dir.display()
                ));
            }
        }
        println!("cargo::rerun-if-env-changed=OTA_CONFIG_INCLUDE_DIRS");
        let extra_includes = env::var("OTA_CONFIG_INCLUDE_DIRS")
            .unwrap_or_default()
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect::<Vec<_>>();
        for dir in &extra_includes {
            if !dir.is_dir() {
                fail(&format!(
                    "OTA_CONFIG_INCLUDE_DIRS names {}, which is not a folder",
                    dir.display()
                ));
            }
        }
        // Any change in these folders (the config, headers it includes, our headers) rebuilds.
        println!("cargo::rerun-if-changed={}", headers.display());
        println!("cargo::rerun-if-changed={}", ext_header().display());
        for dir in config_dir.iter().chain(&extra_includes) {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
        Config {
            headers,
            own_headers: manifest.join("include"),
            config_dir,
            extra_includes,
        }
    }

    /// Include folders in the order a C build of the application would use them.
    fn include_dirs(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = Vec::new();
        dirs.extend(self.config_dir.as_deref());
        dirs.extend(self.extra_includes.iter().map(PathBuf::as_path));
        dirs.push(&self.headers);
        // Last, so ota_ext.h is found beside another copy of the v2.0.0 headers.
        dirs.push(&self.own_headers);
        dirs
    }

    fn defines(&self) -> Vec<(&'static str, Option<&'static str>)> {
        if self.config_dir.is_some() {
            Vec::new()
        } else {
            vec![("OTA_DO_NOT_USE_CUSTOM_CONFIG", None)]
        }
    }

    fn clang_args(&self) -> Vec<String> {
        // What the firmware's C compiler sees: its ABI flags, then its own include folders.
        let mut args = target_compiler_view(&self.cc());
        args.extend(
            self.include_dirs()
                .iter()
                .map(|d| format!("-I{}", d.display())),
        );
        for (name, value) in self.defines() {
            args.push(match value {
                Some(v) => format!("-D{name}={v}"),
                None => format!("-D{name}"),
            });
        }
        args
    }

    fn cc(&self) -> cc::Build {
        let mut build = cc::Build::new();
        build.warnings(true).extra_warnings(true);
        for dir in self.include_dirs() {
            build.include(dir);
        }
        for (name, value) in self.defines() {
            build.define(name, value);
        }
        build
    }
}

/// Flags of the target C compiler (cc honours `CC_<target>`, `CFLAGS_<target>`, `TARGET_CC`)
/// that shape what the headers mean, followed by that compiler's own system include folders,
/// so clang parses the headers as the firmware's compiler does and never the host's.
fn target_compiler_view(build: &cc::Build) -> Vec<String> {
    let compiler = match build.try_get_compiler() {
        Ok(c) => c,
        Err(e) => fail(&format!(
            "no C compiler for this target ({e}); install one (for Cortex-M: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi) or set CC_<target>"
        )),
    };
    let mut args: Vec<String> = Vec::new();
    let flags: Vec<String> = compiler
        .args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut iter = flags.iter();
    while let Some(flag) = iter.next() {
        let layout = [
            "-D",
            "-U",
            "-I",
            "-mcpu=",
            "-march=",
            "-mfloat-abi=",
            "-mfpu=",
            "-mabi=",
            "-mthumb",
            "-fshort-enums",
            "-fno-short-enums",
            "-fpack-struct",
            "-fshort-wchar",
            "-funsigned-char",
            "-fsigned-char",
        ];
        if ["-include", "-isystem", "-I", "-D", "-U"].contains(&flag.as_str()) {
            // The value is the next argument (cc passes "-I" and its folder apart; an odd
            // count of bare "-I"s once swallowed the "-fshort-enums" after them).
            if let Some(value) = iter.next() {
                args.push(flag.clone());
                args.push(value.clone());
            }
        } else if layout.iter().any(|p| flag.starts_with(p)) {
            args.push(flag.clone());
        }
    }
    // One run: the predefined macros (stdout) tell the compiler's ABI defaults (arm-none-eabi-gcc
    // uses 1-byte enums unless told otherwise; clang does not), and `-v` lists on stderr the
    // folders it searches for <...> includes, in its order.
    let out = match std::process::Command::new(compiler.path())
        .args(compiler.args())
        .args(["-dM", "-E", "-v", "-x", "c", "-"])
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(e) => fail(&format!(
            "cannot run the C compiler {} ({e}); install it or set CC_<target>",
            compiler.path().display()
        )),
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.trim() {
            "#define __ARM_SIZEOF_MINIMAL_ENUM 1" => args.push("-fshort-enums".to_owned()),
            "#define __ARM_SIZEOF_MINIMAL_ENUM 4" => args.push("-fno-short-enums".to_owned()),
            "#define __ARM_SIZEOF_WCHAR_T 2" => args.push("-fshort-wchar".to_owned()),
            _ => {}
        }
    }
    let listing = String::from_utf8_lossy(&out.stderr);
    let dirs: Vec<String> = listing
        .split_once("#include <...> search starts here:")
        .and_then(|(_, rest)| rest.split_once("End of search list."))
        .map(|(list, _)| {
            list.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.trim_end_matches(" (framework directory)").to_owned())
                .collect()
        })
        .unwrap_or_default();
    if dirs.is_empty() {
        fail(&format!(
            "the C compiler {} did not list its include folders (-E -v); set CC_<target> to a gcc- or clang-compatible compiler",
            compiler.path().display()
        ));
    }
    // Keep clang's own builtin headers (stddef.h, stdint.h's helpers), drop the host's folders.
    args.push("-nostdlibinc".to_owned());
    for dir in dirs {
        args.push("-isystem".to_owned());
        args.push(dir);
    }
    args
}

/// The header bindgen reads: every v2.0.0 header, then the config values as enum constants,
/// which clang evaluates whatever expression the application wrote.
fn write_wrapper(out: &Path) -> PathBuf {
    let mut text = String::from("#include <stdint.h>\n#include <stdbool.h>\n#include <stdio.h>\n");
    for header in HEADERS {
        let _ = writeln!(text, "#include \"{header}\"");
    }
    // The extension header is ours alone: read from this crate even when OTA_HEADERS_DIR
    // names another copy of the v2.0.0 headers (it includes them by name).
    text.push_str("#include \"ota_ext.h\"\n");
    text.push_str("enum ota_rs_config_values {\n");
    for name in CONFIG_MACROS {
        let _ = writeln!(text, "    OTA_RS_CFG_{name} = ( {name} ),");
    }
    text.push_str("    OTA_RS_CFG_END = 0\n};\n");
    let path = out.join("ota_rs_wrapper.h");
    write_if_changed(&path, &text);
    path
}

/// include/ota_ext.h of this crate.
fn ext_header() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/ota_ext.h")
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        if let Err(e) = fs::write(path, text) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
}

fn generate_bindings(cfg: &Config, wrapper: &Path, out: &Path) {
    if let Err(e) = clang_sys::load() {
        fail(&format!(
            "libclang is needed to read the C headers and was not found ({e}); install it (Debian: apt-get install libclang-dev) or set LIBCLANG_PATH to the folder holding libclang.so"
        ));
    }
    let headers_re = format!("{}/.*", regex_escape(&cfg.headers.display().to_string()));
    let bindings = bindgen::Builder::default()
        .header(wrapper.display().to_string())
        .clang_args(cfg.clang_args())
        .use_core()
        .ctypes_prefix("core::ffi")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .allowlist_file(headers_re)
        .allowlist_file(regex_escape(&wrapper.display().to_string()))
        .allowlist_file(regex_escape(&ext_header().display().to_string()))
        .opaque_type("_IO_FILE")
        .opaque_type("__sFILE")
        .derive_default(true)
        .derive_debug(false)
        .layout_tests(true)
        .generate_comments(false)
        .parse_callbacks(Box::new(
            bindgen::CargoCallbacks::new().rerun_on_header_files(false),
        ))
        .generate();
    match bindings {
        Ok(b) => {
            if let Err(e) = b.write_to_file(out.join("bindings.rs")) {
                fail(&format!("cannot write the generated bindings: {e}"));
            }
        }
        Err(e) => fail(&format!(
            "the C headers did not parse with this ota_config.h ({e}); compile a file that includes ota.h with the same include folders to see the C error"
        )),
    }
}

/// `_Static_assert`s of every layout the Rust side was compiled with (bindgen's layout tests,
/// which the crate itself checks), for the firmware's C compiler to check with its own flags.
fn write_layout_guard(out: &Path) -> String {
    let path = out.join("bindings.rs");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    let mut typedef_of = std::collections::HashMap::new();
    let mut int_types = Vec::new();
    for line in text.lines() {
        let type_alias = line
            .strip_prefix("pub type ")
            .and_then(|r| r.strip_suffix(';'))
            .and_then(|r| r.split_once(" = "));
        if let Some((name, ty)) = type_alias {
            let size = match ty.trim_start_matches("core::ffi::") {
                "c_schar" | "c_uchar" | "c_char" | "u8" | "i8" => Some("1"),
                "c_short" | "c_ushort" | "u16" | "i16" => Some("2"),
                "c_int" | "c_uint" | "u32" | "i32" => Some("4"),
                _ => None,
            };
            int_types.extend(size.map(|s| (name, s)));
        }
        let alias = type_alias.or_else(|| {
            line.strip_prefix("pub use self::")
                .and_then(|r| r.strip_suffix(';'))
                .and_then(|r| r.split_once(" as "))
                .map(|(a, b)| (b, a))
        });
        if let Some((alias, target)) = alias {
            typedef_of
                .entry(target.to_owned())
                .or_insert(alias.to_owned());
        }
    }
    // The name C code uses: the typedef when there is one, else a `_t` name bindgen kept.
    let c_name = |rust: &str| -> Option<String> {
        if rust.starts_with('_') || rust.contains("__bindgen") {
            return None;
        }
        typedef_of
            .get(rust)
            .cloned()
            .or_else(|| rust.ends_with("_t").then(|| rust.to_owned()))
    };
    let mut guard = String::from(
        "/* Generated by ota-rs build.rs: the layouts libota.a was compiled with. */\n#include <stddef.h>\n",
    );
    let mut emit = |expr: String, value: &str| {
        let _ = writeln!(
            guard,
            "_Static_assert( {expr} == {value}, \"ota-rs layout guard: {expr} is {value} in libota.a but not for this C compiler and flags (-fshort-enums, packing or other headers?); build libota.a with the same compiler, flags, headers and ota_config.h\" );"
        );
    };
    let mut rest = text.as_str();
    while let Some(start) = rest.find("[\"") {
        let Some(end) = rest[start..].find("\"]") else {
            break;
        };
        let label = &rest[start + 2..start + end];
        let after = &rest[start + end..];
        rest = after;
        let Some(value) = after
            .find(" - ")
            .map(|i| &after[i + 3..])
            .and_then(|v| v.split_once("usize]"))
            .map(|(v, _)| v.trim())
            .filter(|v| v.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        if let Some(ty) = label.strip_prefix("Size of ") {
            if let Some(c) = c_name(ty) {
                emit(format!("sizeof( {c} )"), value);
            }
        } else if let Some((ty, field)) = label
            .strip_prefix("Offset of field: ")
            .and_then(|f| f.split_once("::"))
        {
            if let (Some(c), false) = (c_name(ty), field.starts_with('_')) {
                emit(format!("offsetof( {c}, {field} )"), value);
            }
        }
    }
    // Enumerations (and the integer typedefs of the headers): their size as bindgen saw it.
    for (name, size) in int_types {
        if let Some(c) = c_name(name).filter(|c| !c.starts_with("ota_rs_")) {
            emit(format!("sizeof( {c} )"), size);
        }
    }
    let path = out.join("ota_rs_layout_guard.h");
    write_if_changed(&path, &guard);
    guard
}

fn regex_escape(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Asks the preprocessor which log macros the application left empty.
fn probe_log_levels(cfg: &Config, out: &Path) -> Vec<(&'static str, bool)> {
    let mut text = String::from("#include <stdint.h>\n#include <stdio.h>\n#include \"ota.h\"\n");
    for (mac, tag) in LOG_LEVELS {
        let _ = writeln!(
            text,
            "OTA_RS_BEGIN_{tag} {mac}( ( \"x\" ) ) OTA_RS_END_{tag}"
        );
    }
    let probe = out.join("ota_rs_log_probe.c");
    write_if_changed(&probe, &text);
    let expanded = match cfg.cc().file(&probe).try_expand() {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => fail(&format!(
            "the C compiler could not preprocess ota_config.h ({e}); check the file and OTA_CONFIG_INCLUDE_DIRS"
        )),
    };
    let flat: String = expanded
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    LOG_LEVELS
        .iter()
        .map(|(_, tag)| {
            let begin = format!("OTA_RS_BEGIN_{tag}");
            let end = format!("OTA_RS_END_{tag}");
            let body = flat
                .split_once(&begin)
                .and_then(|(_, rest)| rest.split_once(&end))
                .map(|(body, _)| body.trim().trim_matches(';').trim().to_owned())
                .unwrap_or_default();
            // An empty expansion (or a bare `do {} while (0)`-style no-op) means the level is off.
            let enabled = !(body.is_empty() || body == "{ }" || body == "{}");
            (*tag, enabled)
        })
        .collect()
}

/// Whether the application's log macros accept a format that is not a string literal. v2.0.0's
/// own formats all were literals, so a macro may paste text onto one (`"[OTA] " fmt`); the shim
/// then formats each record itself and hands the macro `"%s"`.
fn log_macros_take_runtime_formats(cfg: &Config, out: &Path) -> bool {
    let mut text = String::from(
        "#include <stdint.h>\n#include <stdio.h>\n#include \"ota.h\"\n\
         void ota_rs_format_probe( const char * f, int n, const char * p, unsigned int u );\n\
         void ota_rs_format_probe( const char * f, int n, const char * p, unsigned int u )\n{\n",
    );
    for (mac, _) in LOG_LEVELS {
        let _ = writeln!(text, "    {mac}( ( f, n, p, u ) );");
    }
    text.push_str("    ( void ) f; ( void ) n; ( void ) p; ( void ) u;\n}\n");
    let probe = out.join("ota_rs_format_probe.c");
    write_if_changed(&probe, &text);
    cfg.cc()
        .warnings(false)
        .extra_warnings(false)
        .cargo_metadata(false)
        .flag_if_supported("-Wno-format-nonliteral")
        .flag_if_supported("-Wno-format-security")
        .file(&probe)
        .try_compile("ota_rs_format_probe")
        .is_ok()
}

fn write_log_levels(levels: &[(&str, bool)], out: &Path) {
    let mut text = String::new();
    for (tag, enabled) in levels {
        let _ = writeln!(text, "pub const {tag}: bool = {enabled};");
    }
    write_if_changed(&out.join("log_levels.rs"), &text);
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
