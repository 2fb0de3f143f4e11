//! Where the application's configuration is: OTA_HEADERS_DIR, OTA_CONFIG_DIR and
//! OTA_CONFIG_INCLUDE_DIRS, and the include folders and defines a C build of it uses.

use super::*;

pub(crate) struct Config {
    pub(crate) headers: PathBuf,
    /// This crate's include/, for the extension header it alone has.
    own_headers: PathBuf,
    config_dir: Option<PathBuf>,
    extra_includes: Vec<PathBuf>,
}

impl Config {
    pub(crate) fn from_env(manifest: &Path) -> Config {
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
    pub(crate) fn include_dirs(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = Vec::new();
        dirs.extend(self.config_dir.as_deref());
        dirs.extend(self.extra_includes.iter().map(PathBuf::as_path));
        dirs.push(&self.headers);
        // Last, so ota_ext.h is found beside another copy of the v2.0.0 headers.
        dirs.push(&self.own_headers);
        dirs
    }

    pub(crate) fn defines(&self) -> Vec<(&'static str, Option<&'static str>)> {
        if self.config_dir.is_some() {
            Vec::new()
        } else {
            vec![("OTA_DO_NOT_USE_CUSTOM_CONFIG", None)]
        }
    }

    pub(crate) fn clang_args(&self) -> Vec<String> {
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

    pub(crate) fn cc(&self) -> cc::Build {
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
