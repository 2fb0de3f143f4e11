/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_http_interface.h
 * @brief What the HTTP glue provides to the agent: range requests against a pre-signed URL.
 */

#ifndef OTA_HTTP_INTERFACE_H
#define OTA_HTTP_INTERFACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Status returned by the HTTP glue. */
typedef enum OtaHttpStatus
{
    OtaHttpSuccess = 0,          /*!< @brief Done. */
    OtaHttpInitFailed = 0xc0,    /*!< @brief Connection setup failed. */
    OtaHttpDeinitFailed = 0xc1,  /*!< @brief Connection teardown failed. */
    OtaHttpRequestFailed = 0xc2  /*!< @brief Request failed. */
} OtaHttpStatus_t;

/** @brief Prepare downloads from the given pre-signed URL. */
typedef OtaHttpStatus_t ( * OtaHttpInit_t )( char * pUrl );

/** @brief Request bytes rangeStart..rangeEnd (inclusive) of the file. */
typedef OtaHttpStatus_t ( * OtaHttpRequest_t )( uint32_t rangeStart,
                                                uint32_t rangeEnd );

/** @brief Tear the HTTP connection down. */
typedef OtaHttpStatus_t ( * OtaHttpDeinit )( void );

/** @brief The HTTP glue. */
typedef struct OtaHttpInterface
{
    OtaHttpInit_t init;       /*!< @brief Set up. */
    OtaHttpRequest_t request; /*!< @brief Range request. */
    OtaHttpDeinit deinit;     /*!< @brief Tear down. */
} OtaHttpInterface_t;

#ifdef __cplusplus
}
#endif

#endif /* OTA_HTTP_INTERFACE_H */
