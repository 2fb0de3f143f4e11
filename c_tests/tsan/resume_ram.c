/* ota-rs c_tests/tsan: the resume extension (ota_ext.h) during the hammered download.
 * SPDX-License-Identifier: MIT
 *
 * A record store in RAM behind a mutex, and a registrar thread that registers and unregisters
 * the table again and again while the agent saves after every 4 blocks and at each suspend.
 * The reopen hook always fails (the RAM PAL keeps no partial file), so every download starts
 * from block 0 and the update itself goes as without resume. */

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "ota_ext.h"
#include "tsan_ota.h"

#define REGISTRAR_MAX    2000U

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t store[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];
static uint32_t storeLen;
static uint8_t recordBuffer[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];
static atomic_uint saves;
static atomic_uint erases;
static atomic_uint malformed;
static atomic_bool registrarStop;

static bool save( const uint8_t * pRecord,
                  uint32_t size )
{
    if( ( pRecord == NULL ) || ( size < OTA_EXT_RESUME_RECORD_FIXED_SIZE ) || ( size > sizeof( store ) ) ||
        ( memcmp( pRecord, "OTAR", 4 ) != 0 ) )
    {
        atomic_fetch_add( &malformed, 1U );
        return false;
    }

    pthread_mutex_lock( &lock );
    memcpy( store, pRecord, size );
    storeLen = size;
    pthread_mutex_unlock( &lock );
    atomic_fetch_add( &saves, 1U );
    return true;
}

static uint32_t load( uint8_t * pBuffer,
                      uint32_t size )
{
    uint32_t n;

    pthread_mutex_lock( &lock );
    n = ( storeLen <= size ) ? storeLen : 0U;
    memcpy( pBuffer, store, n );
    pthread_mutex_unlock( &lock );
    return n;
}

static bool erase( void )
{
    pthread_mutex_lock( &lock );
    storeLen = 0;
    pthread_mutex_unlock( &lock );
    atomic_fetch_add( &erases, 1U );
    return true;
}

static OtaPalStatus_t reopen( OtaFileContext_t * const pContext )
{
    ( void ) pContext;
    return OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 0U );
}

static const OtaResumeInterface_t table =
{
    .save             = save,
    .load             = load,
    .erase            = erase,
    .reopenFile       = reopen,
    .flushFile        = NULL,
    .pRecordBuffer    = recordBuffer,
    .recordBufferSize = sizeof( recordBuffer ),
    .saveEveryBlocks  = 4U,
};

void * tsan_resume_registrar( void * pArg )
{
    const struct timespec pause = { .tv_sec = 0, .tv_nsec = 1000000L };

    ( void ) pArg;

    for( uint32_t i = 0; ( i < REGISTRAR_MAX ) && !atomic_load( &registrarStop ); i++ )
    {
        /* Mostly registered: one call in eight unregisters, the next registers again. */
        if( OTA_EXT_SetResume( ( ( i % 8U ) == 7U ) ? NULL : &table ) != OtaErrNone )
        {
            atomic_fetch_add( &malformed, 1U );
        }

        ( void ) nanosleep( &pause, NULL );
    }

    ( void ) OTA_EXT_SetResume( &table );
    return NULL;
}

void tsan_resume_stop( void )
{
    atomic_store( &registrarStop, true );
}

bool tsan_resume_report( void )
{
    uint32_t left;

    pthread_mutex_lock( &lock );
    left = storeLen;
    pthread_mutex_unlock( &lock );
    tsan_printf( "tsan_ota: resume: %u records saved, %u erases, %u bytes left stored, %u malformed calls\n",
                 atomic_load( &saves ), atomic_load( &erases ), ( unsigned ) left, atomic_load( &malformed ) );
    ( void ) OTA_EXT_SetResume( NULL );
    /* A record may be left: the download's last block can land while the table is away. */
    return ( atomic_load( &malformed ) == 0U ) && ( atomic_load( &saves ) > 0U );
}
