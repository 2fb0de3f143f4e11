//! What the firmware's C compiler sees: its ABI flags and its own system include folders.

use super::*;

/// Flags of the target C compiler (cc honours `CC_<target>`, `CFLAGS_<target>`, `TARGET_CC`)
/// that shape what the headers mean, followed by that compiler's own system include folders,
/// so clang parses the headers as the firmware's compiler does and never the host's.
pub(crate) fn target_compiler_view(build: &cc::Build) -> Vec<String> {
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
