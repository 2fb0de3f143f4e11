//! bindgen over the v2.0.0 headers and the application's config: the Rust side's C types
//! and config constants.

use super::*;

/// Config macros mirrored into Rust (see src/config.rs), all integer-valued.
pub(crate) const CONFIG_MACROS: &[&str] = &[
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

/// Headers that make up the public and private v2.0.0 surface the Rust code sees.
pub(crate) const HEADERS: &[&str] = &[
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

/// The header bindgen reads: every v2.0.0 header, then the config values as enum constants,
/// which clang evaluates whatever expression the application wrote.
pub(crate) fn write_wrapper(out: &Path) -> PathBuf {
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
pub(crate) fn ext_header() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/ota_ext.h")
}

pub(crate) fn generate_bindings(cfg: &Config, wrapper: &Path, out: &Path) {
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
