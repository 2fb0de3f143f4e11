/* ota-rs example: the application's OTA configuration, as a firmware project writes it.
 * SPDX-License-Identifier: MIT
 *
 * libota.a is compiled with this file (CMake: OTA_CONFIG_DIR=examples/config), exactly as the
 * C library v2.0.0 was: the values below size the agent's buffers and set its timing, and the
 * Log* macros are where the library's log records go. The macros take one parenthesised
 * printf argument list, LogInfo( ( "fmt %d", x ) ), as in every coreMQTT/OTA config. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include <stdio.h>

/* --- Logging ------------------------------------------------------------------------------
 * To stdout, one line per record, prefixed "[OTA]". The stream is locked around the three calls
 * so that lines from the agent, timer and network threads never interleave. LogDebug is off:
 * left empty, the library does not even format those records. */
#define OTA_DEMO_LOG( level, message ) \
    do {                               \
        flockfile( stdout );           \
        printf( "[OTA] " level " " );  \
        printf message;                \
        putchar( '\n' );               \
        funlockfile( stdout );         \
    } while( 0 )

#define LogError( message )    OTA_DEMO_LOG( "ERROR", message )
#define LogWarn( message )     OTA_DEMO_LOG( "WARN ", message )
#define LogInfo( message )     OTA_DEMO_LOG( "INFO ", message )
#define LogDebug( message )

/* --- Agent settings -----------------------------------------------------------------------
 * The agent task's stack and priority, for applications that create it with an RTOS; this Linux
 * demo starts it with pthread_create. */
#define otaconfigSTACK_SIZE                     6000U
#define otaconfigAGENT_PRIORITY                 4U

/* 4 KiB blocks: the agent asks the stream for blocks of this size. */
#define otaconfigLOG2_FILE_BLOCK_SIZE           12UL

/* How long the new image has to pass its self test before the agent resets the device. */
#define otaconfigSELF_TEST_RESPONSE_WAIT_MS     16000U

/* How long to wait for requested blocks before asking again. Short, since the demo's cloud
 * answers at once; a device on a real network keeps v2.0.0's 10 s. */
#define otaconfigFILE_REQUEST_WAIT_MS           2000U

#define otaconfigMAX_THINGNAME_LEN              64U

/* Blocks per GetStream request. */
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U

/* Requests without an answer before the agent gives up the job. */
#define otaconfigMAX_NUM_REQUEST_MOMENTUM       32U

/* Report "receive N/M" on the job every this many blocks. */
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    16U

/* Event buffers the application keeps for incoming messages (ota_demo/ota_event_pool.c). Each
 * block holds one until the agent has written it, so more than otaconfigMAX_NUM_BLOCKS_REQUEST. */
#define otaconfigMAX_NUM_OTA_DATA_BUFFERS       6U

/* Never install an image older than the running one. */
#define otaconfigAllowDowngrade                 0U

/* Jobs and data both over MQTT; no HTTP glue in this example. */
#define configENABLED_CONTROL_PROTOCOL          ( OTA_CONTROL_OVER_MQTT )
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

#endif /* OTA_CONFIG_H_ */
