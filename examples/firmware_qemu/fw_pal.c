/* The firmware's PAL: see fw_pal.h. Only the agent task calls it (the app callback runs there
 * too), so it needs no lock; the main task reads the counters while the agent waits. */
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "ota.h"
#include "ota_private.h"

#include "fw.h"
#include "fw_boot.h"
#include "fw_pal.h"

#define PAL_OK( )            OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0U )
#define PAL_ERR( status )    OTA_PAL_COMBINE_ERR( ( status ), 0U )

static FwPalStats_t stats;

static FwBootRecord_t * record( void )
{
    return &fwNoInit()->flash.record;
}

static void setSlotState( FwSlotState_t state )
{
    record()->slotState = ( uint32_t ) state;
    fwRecordSeal();
}

/* The open receive file is the slot itself. */
static bool isOpen( const OtaFileContext_t * pFileContext )
{
    return ( pFileContext != NULL ) && ( pFileContext->pFile == fwNoInit()->flash.slot ) &&
           ( record()->slotState == FwSlotReceiving );
}

static OtaPalStatus_t palCreateFile( OtaFileContext_t * const pFileContext )
{
    OtaPalStatus_t status = PAL_OK();

    stats.createCalls++;

    if( pFileContext == NULL )
    {
        status = PAL_ERR( OtaPalNullFileContext );
    }
    else if( ( pFileContext->pFilePath == NULL ) ||
             ( strcmp( ( const char * ) pFileContext->pFilePath, FW_FIRMWARE_PATH ) != 0 ) )
    {
        /* The device decides where files go: it has one slot, for its firmware. */
        FW_AGENT_PRINTF( "  PAL: refusing file %s (this device stores only %s)\n",
                         ( pFileContext->pFilePath != NULL ) ? ( const char * ) pFileContext->pFilePath : "(none)",
                         FW_FIRMWARE_PATH );
        status = PAL_ERR( OtaPalRxFileCreateFailed );
    }
    else if( ( pFileContext->fileSize > FW_SLOT_SIZE ) || ( pFileContext->fileSize < sizeof( FwImageHeader_t ) ) )
    {
        status = PAL_ERR( OtaPalRxFileTooLarge );
    }
    else if( record()->slotState == FwSlotPendingCommit )
    {
        /* The running image is on trial from this slot: it must not be overwritten. */
        status = PAL_ERR( OtaPalRxFileCreateFailed );
    }
    else
    {
        fwFlashErase( pFileContext->fileSize );
        record()->imageSize = pFileContext->fileSize;
        record()->signatureSize = 0U;
        setSlotState( FwSlotReceiving );
        pFileContext->pFile = fwNoInit()->flash.slot;
    }

    return status;
}

/* ota_ext.h's reopenFile (resume after a reset): the slot still holds the blocks written before
 * it, so it is opened as createFile would open it, but not erased. A block the record still
 * needs may already be in flash (written after the last save) or half programmed (cut short by
 * the reset): programming it again with the same bytes only clears the bits still set, which
 * flash allows. closeFile hashes the whole slot, so the signature covers every block, old and new. */
OtaPalStatus_t fwPalReopenFile( OtaFileContext_t * const pFileContext )
{
    OtaPalStatus_t status = PAL_OK();

    stats.reopenCalls++;

    if( pFileContext == NULL )
    {
        status = PAL_ERR( OtaPalNullFileContext );
    }
    else if( ( pFileContext->pFilePath == NULL ) ||
             ( strcmp( ( const char * ) pFileContext->pFilePath, FW_FIRMWARE_PATH ) != 0 ) ||
             ( record()->slotState != FwSlotReceiving ) || ( record()->imageSize != pFileContext->fileSize ) ||
             ( pFileContext->fileSize > FW_SLOT_SIZE ) )
    {
        /* Not the partial file of this download: the agent starts over with createFile. */
        status = PAL_ERR( OtaPalRxFileCreateFailed );
    }
    else
    {
        pFileContext->pFile = fwNoInit()->flash.slot;
        stats.reopened++;
        FW_AGENT_PRINTF( "  PAL: reopened the partial %s in flash (%lu bytes, not erased)\n", FW_FIRMWARE_PATH,
                         ( unsigned long ) pFileContext->fileSize );
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

    if( isOpen( pFileContext ) && ( pData != NULL ) && ( blockSize <= 0x7fffU ) &&
        ( ( uint64_t ) offset + blockSize <= pFileContext->fileSize ) &&
        fwFlashProgram( offset, pData, blockSize ) )
    {
        written = ( int16_t ) blockSize;
    }
    else
    {
        stats.badWrites++;
    }

    return written;
}

static OtaPalStatus_t palCloseFile( OtaFileContext_t * const pFileContext )
{
    OtaPalStatus_t status = PAL_ERR( OtaPalSignatureCheckFailed );
    const Sig256_t * pSignature;
    bool valid;

    stats.closeCalls++;

    if( !isOpen( pFileContext ) )
    {
        return PAL_ERR( OtaPalFileClose );
    }

    pSignature = pFileContext->pSignature;

    if( ( pSignature != NULL ) && ( pSignature->size > 0U ) && ( pSignature->size <= FW_MAX_DER_SIG ) )
    {
        /* The job's certfile is not looked at: the key is the one compiled into the firmware. */
        stats.stackFreeBeforeCheck = ( uint32_t ) uxTaskGetStackHighWaterMark( NULL );
        stats.signatureChecks++;
        valid = fwImageSignatureValid( fwNoInit()->flash.slot, pFileContext->fileSize, pSignature->data,
                                       pSignature->size );
        FW_AGENT_PRINTF( "  PAL: ECDSA P-256 signature over the SHA-256 of the %lu bytes in flash: %s\n",
                         ( unsigned long ) pFileContext->fileSize, valid ? "valid" : "INVALID" );

        if( valid )
        {
            stats.signaturesValid++;
            ( void ) memcpy( record()->signature, pSignature->data, pSignature->size );
            record()->signatureSize = pSignature->size;
            setSlotState( FwSlotVerified );
            status = PAL_OK();
        }
    }

    if( status != PAL_OK() )
    {
        /* The bytes stay in flash for inspection; the slot holds nothing bootable. */
        setSlotState( FwSlotInvalid );
    }

    pFileContext->pFile = NULL;
    return status;
}

static OtaPalStatus_t palAbort( OtaFileContext_t * const pFileContext )
{
    stats.abortCalls++;

    if( isOpen( pFileContext ) )
    {
        setSlotState( FwSlotEmpty );
    }

    if( pFileContext != NULL )
    {
        pFileContext->pFile = NULL;
    }

    return PAL_OK();
}

static OtaPalStatus_t palActivate( OtaFileContext_t * const pFileContext )
{
    ( void ) pFileContext;
    stats.activateCalls++;

    if( record()->slotState != FwSlotVerified )
    {
        return PAL_ERR( OtaPalActivateFailed );
    }

    record()->trialBoots = 0U;
    setSlotState( FwSlotPendingCommit );
    FW_AGENT_PRINTF( "  PAL: image marked for a trial boot; resetting the device (SYSRESETREQ)\n" );
    fwSystemReset();
}

static OtaPalStatus_t palReset( OtaFileContext_t * const pFileContext )
{
    ( void ) pFileContext;
    stats.resetCalls++;
    FW_AGENT_PRINTF( "  PAL: reset requested by the agent (SYSRESETREQ)\n" );
    fwSystemReset();
}

static OtaPalStatus_t palSetPlatformImageState( OtaFileContext_t * const pFileContext,
                                                OtaImageState_t state )
{
    OtaPalStatus_t status = PAL_OK();
    FwSlotState_t slot = ( FwSlotState_t ) record()->slotState;

    ( void ) pFileContext;
    stats.setStateCalls++;

    switch( state )
    {
        case OtaImageStateTesting:
            /* The new image runs on trial: nothing to change until it is accepted or rejected. */
            status = ( slot == FwSlotPendingCommit ) ? PAL_OK() : PAL_ERR( OtaPalBadImageState );
            break;

        case OtaImageStateAccepted:

            if( slot == FwSlotPendingCommit )
            {
                setSlotState( FwSlotCommitted );
            }
            else
            {
                status = PAL_ERR( OtaPalCommitFailed );
            }

            break;

        case OtaImageStateRejected:
        case OtaImageStateAborted:

            if( ( slot == FwSlotPendingCommit ) || ( slot == FwSlotReceiving ) || ( slot == FwSlotVerified ) )
            {
                /* A trial image falls back to the factory one at the next boot. */
                setSlotState( FwSlotInvalid );
            }

            break;

        default:
            status = PAL_ERR( OtaPalBadImageState );
            break;
    }

    return status;
}

static OtaPalImageState_t palGetPlatformImageState( OtaFileContext_t * const pFileContext )
{
    OtaPalImageState_t state;

    ( void ) pFileContext;

    switch( record()->slotState )
    {
        case FwSlotPendingCommit:
            state = OtaPalImageStatePendingCommit;
            break;

        case FwSlotInvalid:
            /* Rejected while it runs on trial; a failed download leaves the running image Valid. */
            state = fwBootInfo()->runningNew ? OtaPalImageStateInvalid : OtaPalImageStateValid;
            break;

        default:
            state = OtaPalImageStateValid; /* the running image is committed (factory or accepted) */
            break;
    }

    return state;
}

void fwPalInit( OtaPalInterface_t * pPal )
{
    ( void ) memset( &stats, 0, sizeof( stats ) );
    pPal->abort = palAbort;
    pPal->createFile = palCreateFile;
    pPal->closeFile = palCloseFile;
    pPal->writeBlock = palWriteBlock;
    pPal->activate = palActivate;
    pPal->reset = palReset;
    pPal->setPlatformImageState = palSetPlatformImageState;
    pPal->getPlatformImageState = palGetPlatformImageState;
}

FwPalStats_t fwPalStats( void )
{
    return stats;
}
