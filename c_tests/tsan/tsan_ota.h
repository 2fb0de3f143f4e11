/* ota-rs c_tests/tsan: the parts of the race test and what they share.
 * SPDX-License-Identifier: MIT
 *
 *   tsan_ota.c  the application: agent task, hammering threads, the two boots, the checks
 *   cloud.c     an in-process AWS IoT stand-in: broker, Jobs ($next/get, status updates) and
 *               the MQTT file stream (CBOR GetStream requests and blocks), on its own thread
 *   pal_ram.c   a PAL that keeps the image in RAM and checks a checksum instead of a signature
 *
 * Every shared value is behind a pthread mutex or a C11 atomic, so anything ThreadSanitizer
 * reports is about the library. */
#ifndef TSAN_OTA_H_
#define TSAN_OTA_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota.h"
#include "ota_private.h"

#define TSAN_THING           "tsan-device"
#define TSAN_JOB_ID          "AFR_OTA-tsan-1"
#define TSAN_STREAM          "AFR_OTA-tsan-stream"
#define TSAN_FILE_PATH       "fw.bin"
#define TSAN_CERT_FILE       "checksum"

/* 100 full blocks and a short one, so the last block's size is checked too. */
#define TSAN_BLOCK_SIZE      ( 1U << otaconfigLOG2_FILE_BLOCK_SIZE )
#define TSAN_IMAGE_SIZE      ( 100U * TSAN_BLOCK_SIZE + 123U )

/* The version word the self-test job names as the one that downloaded the update (1.1.0);
 * the running program is 1.2.0 (tsan_ota.c), so the self test sees an upgrade. */
#define TSAN_UPDATED_BY      "0x01010000"

/* ---- the image (cloud.c) ------------------------------------------------------------ */

/* Byte i of the update the cloud offers. */
uint8_t tsan_image_byte( uint32_t i );

/* The 32-bit FNV-1a checksum the job carries as its "signature". */
uint32_t tsan_checksum( const uint8_t * pData,
                        size_t length );

/* ---- event buffers (tsan_ota.c) ----------------------------------------------------- */

/* A free buffer from the application's pool, waiting at most waitMs; NULL if none. */
OtaEventData_t * tsan_pool_get( uint32_t waitMs );

/* Returns a buffer to the pool; false (and counted as an anomaly) if it was not lent. */
bool tsan_pool_release( OtaEventData_t * pBuffer );

/* Buffers lent out. */
uint32_t tsan_pool_in_use( void );

/* ---- the cloud (cloud.c) ------------------------------------------------------------ */

/* What the cloud's job execution looks like. */
typedef struct
{
    char lastStatus[ 16 ];     /* last status the device reported ("" if none) */
    char terminalStatus[ 16 ]; /* the first terminal status (SUCCEEDED, FAILED, ...), "" if none */
    uint32_t statusUpdates;    /* status updates received */
    uint32_t succeededUpdates; /* ... of them SUCCEEDED */
    uint32_t jobRequests;      /* $next/get requests answered */
    uint32_t streamRequests;   /* GetStream requests answered */
    uint32_t blocksSent;       /* blocks handed to the agent */
    uint32_t dropped;          /* messages not delivered (no buffer, agent refused) */
    uint32_t badMessages;      /* device messages the cloud could not understand */
} TsanCloudStats_t;

/* Starts the cloud's thread, serving the first boot's document (a QUEUED job). */
bool tsan_cloud_start( void );

/* Which boot the device is in: 1 serves the QUEUED job, 2 the job in self test. */
void tsan_cloud_set_phase( int phase );

/* Stops and joins the cloud's thread (bounded). */
void tsan_cloud_stop( void );

/* True when no device message is queued or being handled. */
bool tsan_cloud_idle( void );

/* Job documents delivered to the agent and not yet handed back. */
uint32_t tsan_cloud_docs_lent( void );

/* Called by the pool when a buffer comes back, so lent documents are tracked. */
void tsan_cloud_buffer_returned( const OtaEventData_t * pBuffer );

void tsan_cloud_get_stats( TsanCloudStats_t * pStats );

/* The agent's MQTT interface, on this cloud. */
void tsan_cloud_mqtt_interface( OtaMqttInterface_t * pMqtt );

/* Encodes the stream message for block `index` of the image; returns its size (0 on error). */
size_t tsan_cloud_encode_block( uint8_t * pOut,
                                size_t capacity,
                                uint32_t index );

/* ---- the PAL (pal_ram.c) ------------------------------------------------------------ */

typedef struct
{
    OtaPalImageState_t platform; /* what getPlatformImageState reports */
    uint32_t creates;
    uint32_t closesOk;
    uint32_t closesBad;
    uint32_t activations;
    uint32_t resets;             /* must stay 0: the device never resets in this test */
    uint32_t badCalls;           /* calls with arguments the agent must never pass */
    bool runningIsUpdate;        /* the running image is the downloaded one */
    bool runningMatches;         /* ... and equals the cloud's image byte for byte */
} TsanPalStats_t;

void tsan_pal_interface( OtaPalInterface_t * pPal );

/* The reboot between the two boots: an activated image starts, PendingCommit. */
void tsan_pal_reboot( void );

void tsan_pal_get_stats( TsanPalStats_t * pStats );

/* Resets the agent asked for so far (cheap, for polling). */
uint32_t tsan_pal_resets( void );

/* ---- the log (tsan_ota.c) ----------------------------------------------------------- */

void tsan_printf( const char * pFormat,
                  ... ) __attribute__( ( format( printf, 1, 2 ) ) );

/* ---- resume (resume_ram.c) ---------------------------------------------------------- */

/* Registers and unregisters the resume table until tsan_resume_stop() (bounded); leaves it
 * registered. */
void * tsan_resume_registrar( void * pArg );
void tsan_resume_stop( void );

/* Prints what the table saw; true when records were saved and every call was well-formed.
 * Unregisters. */
bool tsan_resume_report( void );

#endif /* TSAN_OTA_H_ */
