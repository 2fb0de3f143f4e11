/* ota-rs Linux device: the application's OTA configuration. SPDX-License-Identifier: MIT
 *
 * libota.a is built with this file (CMake: OTA_CONFIG_DIR=examples/linux_device/config). */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include <stdio.h>

/* Log records to stdout, one line each, locked so the agent, timer and network threads never
 * interleave; device_log_prefix() moves the cursor off a progress bar first. */
void device_log_prefix( void );
#define DEVICE_OTA_LOG( level, message ) \
    do {                                 \
        flockfile( stdout );             \
        device_log_prefix();             \
        printf( "[OTA] " level " " );    \
        printf message;                  \
        putchar( '\n' );                 \
        funlockfile( stdout );           \
    } while( 0 )

#define LogError( message )    DEVICE_OTA_LOG( "ERROR", message )
#define LogWarn( message )     DEVICE_OTA_LOG( "WARN ", message )
/* Info records go through device_main.c, which prints them only with resume on. */
void device_log_info( const char * pFormat,
                      ... ) __attribute__( ( format( printf, 1, 2 ) ) );
#define LogInfo( message )     device_log_info message
#define LogDebug( message )

#define otaconfigSTACK_SIZE                     6000U
#define otaconfigAGENT_PRIORITY                 4U

/* 4 KiB blocks, as AWS's demos use. */
#define otaconfigLOG2_FILE_BLOCK_SIZE           12UL

#define otaconfigSELF_TEST_RESPONSE_WAIT_MS     16000U

/* Ask again for missing blocks after 1.5 s: short, because the tests lose blocks on purpose; a
 * product on a cellular link keeps v2.0.0's 10 s. */
#define otaconfigFILE_REQUEST_WAIT_MS           1500U

#define otaconfigMAX_THINGNAME_LEN              64U

/* Blocks asked for per GetStream request. */
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U

#define otaconfigMAX_NUM_REQUEST_MOMENTUM       32U

#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    16U

/* Event buffers for incoming messages; more than blocks per request, so a burst fits. */
#define otaconfigMAX_NUM_OTA_DATA_BUFFERS       8U

#define otaconfigAllowDowngrade                 0U

/* Jobs over MQTT; file data over the MQTT stream or HTTP, as each job's "protocols" says. */
#define configENABLED_CONTROL_PROTOCOL          ( OTA_CONTROL_OVER_MQTT )
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT | OTA_DATA_OVER_HTTP )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

#endif /* OTA_CONFIG_H_ */
