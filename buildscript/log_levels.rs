//! Which of the application's log macros expand to something, and whether they take a
//! format that is not a literal.

use super::*;

pub(crate) const LOG_LEVELS: &[(&str, &str)] = &[
    ("LogError", "LOG_ERROR"),
    ("LogWarn", "LOG_WARN"),
    ("LogInfo", "LOG_INFO"),
    ("LogDebug", "LOG_DEBUG"),
];

/// Asks the preprocessor which log macros the application left empty.
pub(crate) fn probe_log_levels(cfg: &Config, out: &Path) -> Vec<(&'static str, bool)> {
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
pub(crate) fn log_macros_take_runtime_formats(cfg: &Config, out: &Path) -> bool {
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

pub(crate) fn write_log_levels(levels: &[(&str, bool)], out: &Path) {
    let mut text = String::new();
    for (tag, enabled) in levels {
        let _ = writeln!(text, "pub const {tag}: bool = {enabled};");
    }
    write_if_changed(&out.join("log_levels.rs"), &text);
}
