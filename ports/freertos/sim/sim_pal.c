/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* The simulator's scripted PAL: see sim_pal.h. Only the agent task calls it (the app callback
 * runs there too), so it needs no lock; the test reads the counters while the agent waits. */

#include <string.h>

#include "ota.h"
#include "ota_private.h"

#include "sim_pal.h"

static uint8_t receiveBuffer[ SIM_PAL_CAPACITY ];
static uint8_t verifiedImage[ SIM_PAL_CAPACITY ];
static uint32_t verifiedSize;
static OtaPalImageState_t platformState;
static SimPalStats_t stats;

/* The open receive file, as the agent sees it in OtaFileContext_t.pFile. */
#define RECEIVE_HANDLE    ( ( void * ) receiveBuffer )

uint32_t simPalDigest( const uint8_t * pData,
                       uint32_t length )
{
    uint32_t hash = 2166136261U;
    uint32_t i;

    for( i = 0U; i < length; i++ )
    {
        hash ^= pData[ i ];
        hash *= 16777619U;
    }

    return hash;
}

static bool isOpen( const OtaFileContext_t * pFileContext )
{
    return ( pFileContext != NULL ) && ( ( void * ) pFileContext->pFile == RECEIVE_HANDLE );
}

static OtaPalStatus_t palAbort( OtaFileContext_t * const pFileContext )
{
    stats.abortCalls++;

    if( isOpen( pFileContext ) )
    {
        stats.abortsOfOpenFile++;
        ( void ) memset( receiveBuffer, 0, sizeof( receiveBuffer ) );
        pFileContext->pFile = NULL;
    }

    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );
}

static OtaPalStatus_t palCreateFile( OtaFileContext_t * const pFileContext )
{
    OtaPalStatus_t status = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );

    stats.createCalls++;

    if( pFileContext == NULL )
    {
        stats.badCalls++;
        status = OTA_PAL_COMBINE_ERR( OtaPalNullFileContext, 0U );
    }
    else if( pFileContext->fileSize > SIM_PAL_CAPACITY )
    {
        status = OTA_PAL_COMBINE_ERR( OtaPalRxFileTooLarge, 0U );
    }
    else
    {
        ( void ) memset( receiveBuffer, 0, sizeof( receiveBuffer ) );
        ( void ) memset( stats.writesPerBlock, 0, sizeof( stats.writesPerBlock ) );
        ( void ) memset( stats.filePath, 0, sizeof( stats.filePath ) );

        if( pFileContext->pFilePath != NULL )
        {
            ( void ) strncpy( stats.filePath, ( const char * ) pFileContext->pFilePath,
                              sizeof( stats.filePath ) - 1U );
        }

        stats.fileSize = pFileContext->fileSize;
        pFileContext->pFile = RECEIVE_HANDLE;
    }

    return status;
}

static int16_t palWriteBlock( OtaFileContext_t * const pFileContext,
                              uint32_t offset,
                              uint8_t * const pData,
                              uint32_t blockSize )
{
    int16_t written = -1;

    stats.writeCalls++;

    if( !isOpen( pFileContext ) || ( pData == NULL ) || ( blockSize > 0x7fffU ) ||
        ( ( uint64_t ) offset + blockSize > pFileContext->fileSize ) ||
        ( ( offset % OTA_FILE_BLOCK_SIZE ) != 0U ) )
    {
        stats.badCalls++;
    }
    else
    {
        ( void ) memcpy( &receiveBuffer[ offset ], pData, blockSize );
        stats.writesPerBlock[ offset / OTA_FILE_BLOCK_SIZE ]++;
        written = ( int16_t ) blockSize;
    }

    return written;
}

static OtaPalStatus_t palCloseFile( OtaFileContext_t * const pFileContext )
{
    OtaPalStatus_t status = OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0U );
    uint32_t digest;
    const Sig256_t * pSignature;

    stats.closeCalls++;

    if( !isOpen( pFileContext ) )
    {
        stats.badCalls++;
        status = OTA_PAL_COMBINE_ERR( OtaPalFileClose, 0U );
    }
    else
    {
        digest = simPalDigest( receiveBuffer, pFileContext->fileSize );
        pSignature = pFileContext->pSignature;

        if( ( pSignature != NULL ) && ( pSignature->size == 4U ) &&
            ( pSignature->data[ 0 ] == ( uint8_t ) ( digest >> 24 ) ) &&
            ( pSignature->data[ 1 ] == ( uint8_t ) ( digest >> 16 ) ) &&
            ( pSignature->data[ 2 ] == ( uint8_t ) ( digest >> 8 ) ) &&
            ( pSignature->data[ 3 ] == ( uint8_t ) digest ) )
        {
            ( void ) memcpy( verifiedImage, receiveBuffer, pFileContext->fileSize );
            verifiedSize = pFileContext->fileSize;
            stats.closeVerified++;
            status = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );
        }

        pFileContext->pFile = NULL;
    }

    return status;
}

static OtaPalStatus_t palActivate( OtaFileContext_t * const pFileContext )
{
    ( void ) pFileContext;

    /* A device would boot the new image here and never return. */
    stats.activateCalls++;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );
}

static OtaPalStatus_t palReset( OtaFileContext_t * const pFileContext )
{
    ( void ) pFileContext;

    stats.resetCalls++;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );
}

/* Testing marks the running image as pending commit; accepting commits it; rejecting or
 * aborting invalidates an image under test and leaves a committed one alone. */
static OtaPalStatus_t palSetPlatformImageState( OtaFileContext_t * const pFileContext,
                                                OtaImageState_t state )
{
    OtaPalStatus_t status = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U );

    ( void ) pFileContext;
    stats.setStateCalls++;

    switch( state )
    {
        case OtaImageStateTesting:
            platformState = OtaPalImageStatePendingCommit;
            break;

        case OtaImageStateAccepted:
            platformState = OtaPalImageStateValid;
            break;

        case OtaImageStateRejected:
        case OtaImageStateAborted:

            if( platformState == OtaPalImageStatePendingCommit )
            {
                platformState = OtaPalImageStateInvalid;
            }

            break;

        default:
            stats.badCalls++;
            status = OTA_PAL_COMBINE_ERR( OtaPalBadImageState, 0U );
            break;
    }

    return status;
}

static OtaPalImageState_t palGetPlatformImageState( OtaFileContext_t * const pFileContext )
{
    ( void ) pFileContext;

    stats.getStateCalls++;
    return platformState;
}

void simPalInit( OtaPalInterface_t * pPal )
{
    ( void ) memset( &stats, 0, sizeof( stats ) );
    ( void ) memset( receiveBuffer, 0, sizeof( receiveBuffer ) );
    ( void ) memset( verifiedImage, 0, sizeof( verifiedImage ) );
    verifiedSize = 0U;
    platformState = OtaPalImageStateValid;

    pPal->abort = palAbort;
    pPal->createFile = palCreateFile;
    pPal->closeFile = palCloseFile;
    pPal->writeBlock = palWriteBlock;
    pPal->activate = palActivate;
    pPal->reset = palReset;
    pPal->setPlatformImageState = palSetPlatformImageState;
    pPal->getPlatformImageState = palGetPlatformImageState;
}

SimPalStats_t simPalStats( void )
{
    return stats;
}

const uint8_t * simPalVerifiedImage( uint32_t * pSize )
{
    *pSize = verifiedSize;
    return verifiedImage;
}

OtaPalImageState_t simPalPlatformState( void )
{
    return platformState;
}
