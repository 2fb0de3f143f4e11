//! The application's configuration (its `ota_config.h` over the v2.0.0 defaults), as Rust
//! constants. The values come from the C preprocessor through bindgen, so whatever expression
//! the application wrote, Rust sees what C code compiled with the same config sees.

use crate::sys;

macro_rules! config_values {
    ($($(#[$doc:meta])* $rust:ident = $generated:ident;)*) => {
        $($(#[$doc])* pub const $rust: u32 = sys::$generated as u32;)*
    };
}

config_values! {
    /// Self-test window after a reboot into a new image (`otaconfigSELF_TEST_RESPONSE_WAIT_MS`).
    SELF_TEST_RESPONSE_WAIT_MS = OTA_RS_CFG_otaconfigSELF_TEST_RESPONSE_WAIT_MS;
    /// Wait for a requested block before asking again (`otaconfigFILE_REQUEST_WAIT_MS`).
    FILE_REQUEST_WAIT_MS = OTA_RS_CFG_otaconfigFILE_REQUEST_WAIT_MS;
    /// Longest thing name, excluding the NUL (`otaconfigMAX_THINGNAME_LEN`).
    MAX_THINGNAME_LEN = OTA_RS_CFG_otaconfigMAX_THINGNAME_LEN;
    /// Blocks asked for per stream request (`otaconfigMAX_NUM_BLOCKS_REQUEST`).
    MAX_NUM_BLOCKS_REQUEST = OTA_RS_CFG_otaconfigMAX_NUM_BLOCKS_REQUEST;
    /// Unanswered requests before the job is aborted (`otaconfigMAX_NUM_REQUEST_MOMENTUM`).
    MAX_NUM_REQUEST_MOMENTUM = OTA_RS_CFG_otaconfigMAX_NUM_REQUEST_MOMENTUM;
    /// Blocks between two progress updates (`otaconfigOTA_UPDATE_STATUS_FREQUENCY`).
    OTA_UPDATE_STATUS_FREQUENCY = OTA_RS_CFG_otaconfigOTA_UPDATE_STATUS_FREQUENCY;
    /// Non-zero allows installing an older version (`otaconfigAllowDowngrade`).
    ALLOW_DOWNGRADE = OTA_RS_CFG_otaconfigAllowDowngrade;
    /// Data protocols compiled in, a mask of `OTA_DATA_OVER_*` (`configENABLED_DATA_PROTOCOLS`).
    ENABLED_DATA_PROTOCOLS = OTA_RS_CFG_configENABLED_DATA_PROTOCOLS;
    /// Data protocol tried first (`configOTA_PRIMARY_DATA_PROTOCOL`).
    PRIMARY_DATA_PROTOCOL = OTA_RS_CFG_configOTA_PRIMARY_DATA_PROTOCOL;
    /// Bytes per file block (`OTA_FILE_BLOCK_SIZE`).
    FILE_BLOCK_SIZE = OTA_RS_CFG_OTA_FILE_BLOCK_SIZE;
    /// Events the OS port's queue holds (`OTA_NUM_MSG_Q_ENTRIES`, from `configOTA_NUM_MSG_Q_ENTRIES`).
    // Read by the POSIX OS port alone, which compiles only there (see src/lib.rs).
    #[cfg(all(feature = "os-posix", target_os = "linux"))]
    NUM_MSG_Q_ENTRIES = OTA_RS_CFG_OTA_NUM_MSG_Q_ENTRIES;
}

/// Blocks of a file of `size` bytes (no overflow for any size, #407).
pub(crate) fn blocks_in(size: u32) -> u32 {
    size.div_ceil(FILE_BLOCK_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_log2_of_12_makes_the_agent_ask_for_4096_byte_blocks() {
        // cargo test builds with include/ota_config_defaults.h, where the log2 setting is 12.
        assert_eq!(sys::OTA_RS_CFG_otaconfigLOG2_FILE_BLOCK_SIZE, 12);
        assert_eq!(FILE_BLOCK_SIZE, 4096);
        // The byte ranges the HTTP data plane requests for a 10000-byte file.
        assert_eq!(crate::http::range(0, 10_000), Some((0, 4095)));
        assert_eq!(crate::http::range(1, 10_000), Some((4096, 8191)));
        assert_eq!(crate::http::range(2, 10_000), Some((8192, 9999)));
        assert_eq!(crate::http::range(3, 10_000), None);
    }
}
