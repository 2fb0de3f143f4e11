/* ota-rs c_tests/own_pal: an application with its own PAL, as Linux applications of v2.0.0
 * have when they compile the C SDK's ota_pal_posix.c. It defines every otaPal_* name and
 * OTA_JsonFileSignatureKey itself and links against a default libota.a: the link must succeed
 * with no duplicate symbol, and the agent's interface must reach these functions.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ota.h"
#include "ota_os_posix.h"

/* Counted by own_os_port.c, the application's own OS port. */
extern int ownOsPortCalls;

const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

static int calls;

OtaPalStatus_t otaPal_Abort( OtaFileContext_t * const C );
OtaPalStatus_t otaPal_CreateFileForRx( OtaFileContext_t * const C );
OtaPalStatus_t otaPal_CloseFile( OtaFileContext_t * const C );
int16_t otaPal_WriteBlock( OtaFileContext_t * const C,
                           uint32_t ulOffset,
                           uint8_t * const pcData,
                           uint32_t ulBlockSize );
OtaPalStatus_t otaPal_ActivateNewImage( OtaFileContext_t * const C );
OtaPalStatus_t otaPal_ResetDevice( OtaFileContext_t * const C );
OtaPalStatus_t otaPal_SetPlatformImageState( OtaFileContext_t * const C,
                                             OtaImageState_t eState );
OtaPalImageState_t otaPal_GetPlatformImageState( OtaFileContext_t * const C );

OtaPalStatus_t otaPal_Abort( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalFileAbort, 1 );
}

OtaPalStatus_t otaPal_CreateFileForRx( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 2 );
}

OtaPalStatus_t otaPal_CloseFile( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalFileClose, 3 );
}

int16_t otaPal_WriteBlock( OtaFileContext_t * const C,
                           uint32_t ulOffset,
                           uint8_t * const pcData,
                           uint32_t ulBlockSize )
{
    ( void ) C;
    ( void ) ulOffset;
    ( void ) pcData;
    calls++;
    return ( int16_t ) ( ulBlockSize + 1U );
}

OtaPalStatus_t otaPal_ActivateNewImage( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalActivateFailed, 5 );
}

OtaPalStatus_t otaPal_ResetDevice( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalUninitialized, 6 );
}

OtaPalStatus_t otaPal_SetPlatformImageState( OtaFileContext_t * const C,
                                             OtaImageState_t eState )
{
    ( void ) C;
    calls++;
    return OTA_PAL_COMBINE_ERR( OtaPalBadImageState, ( uint32_t ) eState );
}

OtaPalImageState_t otaPal_GetPlatformImageState( OtaFileContext_t * const C )
{
    ( void ) C;
    calls++;
    return OtaPalImageStatePendingCommit;
}

#define CHECK( cond )                                                  \
    do {                                                               \
        if( !( cond ) ) {                                              \
            fprintf( stderr, "own_pal: check failed: %s\n", # cond );  \
            return 1;                                                  \
        }                                                              \
    } while( 0 )

int main( void )
{
    OtaPalInterface_t pal;
    uint8_t byte = 0;

    pal.abort = otaPal_Abort;
    pal.createFile = otaPal_CreateFileForRx;
    pal.closeFile = otaPal_CloseFile;
    pal.writeBlock = otaPal_WriteBlock;
    pal.activate = otaPal_ActivateNewImage;
    pal.reset = otaPal_ResetDevice;
    pal.setPlatformImageState = otaPal_SetPlatformImageState;
    pal.getPlatformImageState = otaPal_GetPlatformImageState;

    /* Something from libota.a, so its Rust object is part of the link. */
    CHECK( strcmp( OTA_PalStatus_strerror( OtaPalFileAbort ), "OtaPalFileAbort" ) == 0 );

    CHECK( pal.abort( NULL ) == OTA_PAL_COMBINE_ERR( OtaPalFileAbort, 1 ) );
    CHECK( pal.createFile( NULL ) == OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 2 ) );
    CHECK( pal.closeFile( NULL ) == OTA_PAL_COMBINE_ERR( OtaPalFileClose, 3 ) );
    CHECK( pal.writeBlock( NULL, 0, &byte, 3 ) == 4 );
    CHECK( pal.activate( NULL ) == OTA_PAL_COMBINE_ERR( OtaPalActivateFailed, 5 ) );
    CHECK( pal.reset( NULL ) == OTA_PAL_COMBINE_ERR( OtaPalUninitialized, 6 ) );
    CHECK( pal.setPlatformImageState( NULL, OtaImageStateAccepted ) ==
           OTA_PAL_COMBINE_ERR( OtaPalBadImageState, OtaImageStateAccepted ) );
    CHECK( pal.getPlatformImageState( NULL ) == OtaPalImageStatePendingCommit );
    CHECK( calls == 8 );

    /* The application's own OS port, not libota.a's, answers under the v2.0.0 names. */
    {
        void * p = STDC_Malloc( 8 );
        CHECK( p != NULL );
        STDC_Free( p );
        CHECK( Posix_OtaInitEvent( NULL ) == OtaOsEventQueueCreateFailed );
        CHECK( Posix_OtaSendEvent( NULL, NULL, 0 ) == OtaOsEventQueueSendFailed );
        CHECK( Posix_OtaReceiveEvent( NULL, NULL, 0 ) == OtaOsEventQueueReceiveFailed );
        CHECK( Posix_OtaDeinitEvent( NULL ) == OtaOsEventQueueDeleteFailed );
        CHECK( Posix_OtaStartTimer( OtaRequestTimer, "t", 1, NULL ) == OtaOsTimerStartFailed );
        CHECK( Posix_OtaStopTimer( OtaRequestTimer ) == OtaOsTimerStopFailed );
        CHECK( Posix_OtaDeleteTimer( OtaRequestTimer ) == OtaOsTimerDeleteFailed );
        CHECK( ownOsPortCalls == 9 );
    }

    printf( "own_pal: the application's own otaPal_* and Posix_Ota* linked and ran against a default libota.a\n" );
    return 0;
}
