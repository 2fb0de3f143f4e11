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
    /// log2 of the file block size (`otaconfigLOG2_FILE_BLOCK_SIZE`).
    LOG2_FILE_BLOCK_SIZE = OTA_RS_CFG_otaconfigLOG2_FILE_BLOCK_SIZE;
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
    /// Event buffers in the pool (`otaconfigMAX_NUM_OTA_DATA_BUFFERS`).
    MAX_NUM_OTA_DATA_BUFFERS = OTA_RS_CFG_otaconfigMAX_NUM_OTA_DATA_BUFFERS;
    /// Non-zero allows installing an older version (`otaconfigAllowDowngrade`).
    ALLOW_DOWNGRADE = OTA_RS_CFG_otaconfigAllowDowngrade;
    /// Control protocols compiled in (`configENABLED_CONTROL_PROTOCOL`).
    ENABLED_CONTROL_PROTOCOL = OTA_RS_CFG_configENABLED_CONTROL_PROTOCOL;
    /// Data protocols compiled in, a mask of `OTA_DATA_OVER_*` (`configENABLED_DATA_PROTOCOLS`).
    ENABLED_DATA_PROTOCOLS = OTA_RS_CFG_configENABLED_DATA_PROTOCOLS;
    /// Data protocol tried first (`configOTA_PRIMARY_DATA_PROTOCOL`).
    PRIMARY_DATA_PROTOCOL = OTA_RS_CFG_configOTA_PRIMARY_DATA_PROTOCOL;
    /// Bytes per file block (`OTA_FILE_BLOCK_SIZE`).
    FILE_BLOCK_SIZE = OTA_RS_CFG_OTA_FILE_BLOCK_SIZE;
    /// Bytes of the largest block bitmap the agent tracks (`OTA_MAX_BLOCK_BITMAP_SIZE`).
    MAX_BLOCK_BITMAP_SIZE = OTA_RS_CFG_OTA_MAX_BLOCK_BITMAP_SIZE;
    /// Bytes of the encoded stream request buffer (`OTA_REQUEST_MSG_MAX_SIZE`).
    REQUEST_MSG_MAX_SIZE = OTA_RS_CFG_OTA_REQUEST_MSG_MAX_SIZE;
    /// Bytes of the pre-signed URL buffer (`OTA_REQUEST_URL_MAX_SIZE`).
    REQUEST_URL_MAX_SIZE = OTA_RS_CFG_OTA_REQUEST_URL_MAX_SIZE;
    /// Bytes of one event data buffer (`OTA_DATA_BLOCK_SIZE`).
    DATA_BLOCK_SIZE = OTA_RS_CFG_OTA_DATA_BLOCK_SIZE;
    /// Longest signature key name, with its NUL (`OTA_FILE_SIG_KEY_STR_MAX_LENGTH`).
    FILE_SIG_KEY_STR_MAX_LENGTH = OTA_RS_CFG_OTA_FILE_SIG_KEY_STR_MAX_LENGTH;
    /// Events the OS port's queue holds (`OTA_NUM_MSG_Q_ENTRIES`, from `configOTA_NUM_MSG_Q_ENTRIES`).
    NUM_MSG_Q_ENTRIES = OTA_RS_CFG_OTA_NUM_MSG_Q_ENTRIES;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_size_follows_its_log2() {
        assert_eq!(FILE_BLOCK_SIZE, 1 << LOG2_FILE_BLOCK_SIZE);
        assert_eq!(DATA_BLOCK_SIZE, FILE_BLOCK_SIZE + REQUEST_URL_MAX_SIZE + 30);
    }
}
