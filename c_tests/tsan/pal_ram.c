/* ota-rs c_tests/tsan: a PAL that keeps images in RAM. SPDX-License-Identifier: MIT
 *
 * Two slots: the receive slot (createFile, writeBlock, abort) and the image that closeFile
 * verified. The "signature" is the 32-bit FNV-1a checksum of the file, big-endian: this test is
 * about races, not crypto. The platform image state describes the running image: Valid until
 * a reboot starts an activated image, which then runs PendingCommit until it is accepted
 * (Valid) or rejected (Invalid). The PAL is called from the agent task and, through
 * OTA_SetImageState, from application threads, so its own state is behind a mutex. */

#include <pthread.h>
#include <string.h>

#include "tsan_ota.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t receiveSlot[ TSAN_IMAGE_SIZE ];
static uint8_t verifiedSlot[ TSAN_IMAGE_SIZE ];
static uint32_t verifiedSize;
static bool verified;
static bool activated;
static TsanPalStats_t stats = { .platform = OtaPalImageStateValid };

static OtaPalStatus_t status( OtaPalMainStatus_t main )
{
    return OTA_PAL_COMBINE_ERR( main, 0U );
}

static void badCall( void )
{
    pthread_mutex_lock( &lock );
    stats.badCalls++;
    pthread_mutex_unlock( &lock );
}

static OtaPalStatus_t palAbort( OtaFileContext_t * const pContext )
{
    if( pContext == NULL )
    {
        badCall();
        return status( OtaPalNullFileContext );
    }

    /* The agent task is the only caller of the file functions, so pFile needs no lock. */
    pContext->pFile = NULL;

    return status( OtaPalSuccess );
}

static OtaPalStatus_t palCreateFile( OtaFileContext_t * const pContext )
{
    if( ( pContext == NULL ) || ( pContext->pFilePath == NULL ) ||
        ( strcmp( ( const char * ) pContext->pFilePath, TSAN_FILE_PATH ) != 0 ) )
    {
        badCall();
        return status( OtaPalRxFileCreateFailed );
    }

    if( pContext->fileSize > sizeof( receiveSlot ) )
    {
        return status( OtaPalRxFileTooLarge );
    }

    pthread_mutex_lock( &lock );
    memset( receiveSlot, 0, sizeof( receiveSlot ) );
    stats.creates++;
    pthread_mutex_unlock( &lock );
    pContext->pFile = ( void * ) receiveSlot;

    return status( OtaPalSuccess );
}

static int16_t palWriteBlock( OtaFileContext_t * const pContext,
                              uint32_t offset,
                              uint8_t * const pData,
                              uint32_t blockSize )
{
    if( ( pContext == NULL ) || ( pContext->pFile != ( void * ) receiveSlot ) || ( pData == NULL ) ||
        ( offset > sizeof( receiveSlot ) ) || ( blockSize > sizeof( receiveSlot ) - offset ) ||
        ( blockSize > TSAN_BLOCK_SIZE ) )
    {
        badCall();
        return -1;
    }

    pthread_mutex_lock( &lock );
    memcpy( &receiveSlot[ offset ], pData, blockSize );
    pthread_mutex_unlock( &lock );

    return ( int16_t ) blockSize;
}

static OtaPalStatus_t palCloseFile( OtaFileContext_t * const pContext )
{
    uint32_t size;
    uint32_t expected;
    uint32_t actual;
    const Sig256_t * pSig;
    bool ok;

    if( ( pContext == NULL ) || ( pContext->pFile != ( void * ) receiveSlot ) || ( pContext->pSignature == NULL ) ||
        ( pContext->fileSize > sizeof( receiveSlot ) ) )
    {
        badCall();
        return status( OtaPalFileClose );
    }

    size = pContext->fileSize;
    pSig = pContext->pSignature;
    expected = ( pSig->size == 4U ) ? ( ( ( uint32_t ) pSig->data[ 0 ] << 24 ) | ( ( uint32_t ) pSig->data[ 1 ] << 16 ) |
                                       ( ( uint32_t ) pSig->data[ 2 ] << 8 ) | pSig->data[ 3 ] ) : 0U;
    pthread_mutex_lock( &lock );
    actual = tsan_checksum( receiveSlot, size );
    ok = ( pSig->size == 4U ) && ( actual == expected );

    if( ok )
    {
        memcpy( verifiedSlot, receiveSlot, size );
        verifiedSize = size;
        verified = true;
        stats.closesOk++;
    }
    else
    {
        stats.closesBad++;
    }

    pthread_mutex_unlock( &lock );
    pContext->pFile = NULL;

    return status( ok ? OtaPalSuccess : OtaPalSignatureCheckFailed );
}

static OtaPalStatus_t palActivate( OtaFileContext_t * const pContext )
{
    bool ok;

    ( void ) pContext;
    pthread_mutex_lock( &lock );
    ok = verified;
    activated = activated || ok;
    stats.activations += ok ? 1U : 0U;
    pthread_mutex_unlock( &lock );

    return status( ok ? OtaPalSuccess : OtaPalActivateFailed );
}

static OtaPalStatus_t palReset( OtaFileContext_t * const pContext )
{
    ( void ) pContext;
    pthread_mutex_lock( &lock );
    stats.resets++; /* only counted: the checks fail the test if the agent ever resets */
    pthread_mutex_unlock( &lock );

    return status( OtaPalSuccess );
}

static OtaPalStatus_t palSetState( OtaFileContext_t * const pContext,
                                   OtaImageState_t state )
{
    OtaPalStatus_t result = status( OtaPalSuccess );

    ( void ) pContext; /* the state is the platform's, not the file's */
    pthread_mutex_lock( &lock );

    switch( state )
    {
        case OtaImageStateTesting:

            if( stats.platform != OtaPalImageStatePendingCommit )
            {
                result = status( OtaPalBadImageState ); /* nothing to test */
            }

            break;

        case OtaImageStateAccepted:

            if( stats.platform == OtaPalImageStatePendingCommit )
            {
                stats.platform = OtaPalImageStateValid; /* commit */
            }
            else if( stats.platform != OtaPalImageStateValid )
            {
                result = status( OtaPalCommitFailed );
            }

            break;

        case OtaImageStateRejected:

            if( stats.platform == OtaPalImageStatePendingCommit )
            {
                stats.platform = OtaPalImageStateInvalid; /* roll back at the next reset */
            }

            break;

        case OtaImageStateAborted:
            break; /* the download is dropped by abort(); the running image is untouched */

        default:
            result = status( OtaPalBadImageState );
            break;
    }

    pthread_mutex_unlock( &lock );

    if( ( result != status( OtaPalSuccess ) ) && ( state != OtaImageStateTesting ) )
    {
        badCall();
    }

    return result;
}

static OtaPalImageState_t palGetState( OtaFileContext_t * const pContext )
{
    OtaPalImageState_t state;

    ( void ) pContext;
    pthread_mutex_lock( &lock );
    state = stats.platform;
    pthread_mutex_unlock( &lock );

    return state;
}

void tsan_pal_interface( OtaPalInterface_t * pPal )
{
    pPal->abort = palAbort;
    pPal->createFile = palCreateFile;
    pPal->closeFile = palCloseFile;
    pPal->writeBlock = palWriteBlock;
    pPal->activate = palActivate;
    pPal->reset = palReset;
    pPal->setPlatformImageState = palSetState;
    pPal->getPlatformImageState = palGetState;
}

void tsan_pal_reboot( void )
{
    pthread_mutex_lock( &lock );

    if( activated )
    {
        stats.platform = OtaPalImageStatePendingCommit;
        stats.runningIsUpdate = true;
        activated = false;
    }

    pthread_mutex_unlock( &lock );
}

void tsan_pal_get_stats( TsanPalStats_t * pStats )
{
    pthread_mutex_lock( &lock );
    *pStats = stats;
    pStats->runningMatches = stats.runningIsUpdate && ( verifiedSize == TSAN_IMAGE_SIZE );

    for( uint32_t i = 0; pStats->runningMatches && ( i < verifiedSize ); i++ )
    {
        pStats->runningMatches = verifiedSlot[ i ] == tsan_image_byte( i );
    }

    pthread_mutex_unlock( &lock );
}

uint32_t tsan_pal_resets( void )
{
    uint32_t n;

    pthread_mutex_lock( &lock );
    n = stats.resets;
    pthread_mutex_unlock( &lock );

    return n;
}
