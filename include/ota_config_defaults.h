/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_config_defaults.h
 * @brief Fallback values for every configuration macro an application's ota_config.h may leave out.
 */

#ifndef OTA_CONFIG_DEFAULTS_H
#define OTA_CONFIG_DEFAULTS_H

/* Documentation builds describe the "no custom config" switch; real builds define it on the command line. */
#ifdef DOXYGEN
    #define OTA_DO_NOT_USE_CUSTOM_CONFIG
#endif

/** @brief Agent task stack size (port specific; a string so that using it unset fails to compile). */
#ifndef otaconfigSTACK_SIZE
    #define otaconfigSTACK_SIZE    "Please set otaconfigSTACK_SIZE"
#endif

/** @brief Agent task priority (port specific; a string so that using it unset fails to compile). */
#ifndef otaconfigAGENT_PRIORITY
    #define otaconfigAGENT_PRIORITY    "Please set otaconfigAGENT_PRIORITY"
#endif

/** @brief log2 of the payload size of one file block (12 means 4 KiB blocks). */
#ifndef otaconfigLOG2_FILE_BLOCK_SIZE
    #define otaconfigLOG2_FILE_BLOCK_SIZE    12UL
#endif

/** @brief How long (ms) a new image may stay in self test before the device is reset. */
#ifndef otaconfigSELF_TEST_RESPONSE_WAIT_MS
    #define otaconfigSELF_TEST_RESPONSE_WAIT_MS    16000U
#endif

/** @brief Idle time (ms) after which missing file blocks are requested again. */
#ifndef otaconfigFILE_REQUEST_WAIT_MS
    #define otaconfigFILE_REQUEST_WAIT_MS    10000U
#endif

/** @brief Longest thing name the agent stores (without the terminating NUL). */
#ifndef otaconfigMAX_THINGNAME_LEN
    #define otaconfigMAX_THINGNAME_LEN    64U
#endif

/** @brief Number of blocks asked for in one stream request. */
#ifndef otaconfigMAX_NUM_BLOCKS_REQUEST
    #define otaconfigMAX_NUM_BLOCKS_REQUEST    1U
#endif

/** @brief Requests sent without any answer before the job is given up. */
#ifndef otaconfigMAX_NUM_REQUEST_MOMENTUM
    #define otaconfigMAX_NUM_REQUEST_MOMENTUM    32U
#endif

/** @brief A progress status is published every this many received blocks. */
#ifndef otaconfigOTA_UPDATE_STATUS_FREQUENCY
    #define otaconfigOTA_UPDATE_STATUS_FREQUENCY    64U
#endif

/** @brief Number of data buffers the agent keeps for incoming messages. */
#ifndef otaconfigMAX_NUM_OTA_DATA_BUFFERS
    #define otaconfigMAX_NUM_OTA_DATA_BUFFERS    1U
#endif

/** @brief Set to 1 to accept images whose version is not newer than the running one (testing only). */
#ifndef otaconfigAllowDowngrade
    #define otaconfigAllowDowngrade    0U
#endif

/** @brief Control-plane protocol; MQTT is the only one there is. */
#ifndef configENABLED_CONTROL_PROTOCOL
    #define configENABLED_CONTROL_PROTOCOL    ( OTA_CONTROL_OVER_MQTT )
#endif

/** @brief Data-plane protocols compiled in: OTA_DATA_OVER_MQTT, OTA_DATA_OVER_HTTP or both OR-ed. */
#ifndef configENABLED_DATA_PROTOCOLS
    #define configENABLED_DATA_PROTOCOLS    ( OTA_DATA_OVER_MQTT )
#endif

/** @brief Data-plane protocol preferred when a job offers more than one. */
#ifndef configOTA_PRIMARY_DATA_PROTOCOL
    #define configOTA_PRIMARY_DATA_PROTOCOL    ( OTA_DATA_OVER_MQTT )
#endif

/* Logging hooks. The library calls them with one parenthesised argument list, e.g.
 * LogError( ( "fmt %d", x ) ), so they work without variadic macros. Left undefined by
 * ota_config.h, a level compiles to nothing. */

/** @brief Error-level log hook. */
#ifndef LogError
    #define LogError( message )
#endif

/** @brief Warning-level log hook. */
#ifndef LogWarn
    #define LogWarn( message )
#endif

/** @brief Info-level log hook. */
#ifndef LogInfo
    #define LogInfo( message )
#endif

/** @brief Debug-level log hook. */
#ifndef LogDebug
    #define LogDebug( message )
#endif

#endif /* OTA_CONFIG_DEFAULTS_H */
