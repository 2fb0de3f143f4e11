/* The resume record in flash: see fw_resume.h. Only the agent task calls save, load and erase;
 * the main task reads the counters and fwResumeStored() while the agent waits. */
#include <stddef.h>
#include <string.h>

#include "fw_boot.h"
#include "fw_pal.h"
#include "fw_resume.h"
#include "ota_ext.h"

#define RESUME_COMMIT         0x544D4D43UL /* "CMMT" */
#define RECORD_FIXED_SIZE     32U          /* ota_ext.h: a 28-byte header and a 4-byte CRC */
#define RECORD_MAGIC          "OTAR"
#define ERASED_WORD           0xFFFFFFFFUL

static FwResumeStats_t stats;

static FwResumeSector_t * sector( uint32_t index )
{
    return &fwNoInit()->flash.resume[ index ];
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()), bit by bit: records are a few hundred
 * bytes, saved every few blocks. */
static uint32_t crc32( const uint8_t * pData,
                       uint32_t length )
{
    uint32_t crc = 0xFFFFFFFFUL;
    uint32_t i;
    uint32_t bit;

    for( i = 0U; i < length; i++ )
    {
        crc ^= pData[ i ];

        for( bit = 0U; bit < 8U; bit++ )
        {
            crc = ( crc >> 1 ) ^ ( 0xEDB88320UL & ( 0UL - ( crc & 1UL ) ) );
        }
    }

    return ~crc;
}

static uint32_t le32( const uint8_t * p )
{
    return ( uint32_t ) p[ 0 ] | ( ( uint32_t ) p[ 1 ] << 8 ) | ( ( uint32_t ) p[ 2 ] << 16 ) | ( ( uint32_t ) p[ 3 ] << 24 );
}

/* A record as ota_ext.h lays it out: magic, a length that fits, and its CRC. What the fields
 * mean is the agent's business; the firmware checks only that the bytes are the ones saved. */
static bool recordIntact( const uint8_t * pRecord,
                          uint32_t length )
{
    return ( length >= RECORD_FIXED_SIZE ) && ( length <= sizeof( sector( 0U )->data ) ) &&
           ( memcmp( pRecord, RECORD_MAGIC, 4U ) == 0 ) &&
           ( le32( &pRecord[ length - 4U ] ) == crc32( pRecord, length - 4U ) );
}

static bool sectorValid( uint32_t index )
{
    const FwResumeSector_t * pSector = sector( index );

    return ( pSector->commit == RESUME_COMMIT ) && recordIntact( pSector->data, pSector->length );
}

/* The sector with the newest committed record, or -1. */
static int32_t newestSector( void )
{
    int32_t newest = -1;
    uint32_t i;

    for( i = 0U; i < FW_RESUME_SECTORS; i++ )
    {
        if( sectorValid( i ) && ( ( newest < 0 ) || ( sector( i )->sequence > sector( ( uint32_t ) newest )->sequence ) ) )
        {
            newest = ( int32_t ) i;
        }
    }

    return newest;
}

static void eraseSector( uint32_t index )
{
    ( void ) memset( sector( index ), 0xFF, sizeof( FwResumeSector_t ) );
}

/* Flash rules: programming can only clear bits; false if a byte needed a set bit back. */
static bool program( void * pFlash,
                     const void * pData,
                     uint32_t length )
{
    uint8_t * pTo = pFlash;
    const uint8_t * pFrom = pData;
    bool ok = true;
    uint32_t i;

    for( i = 0U; i < length; i++ )
    {
        ok = ok && ( ( pTo[ i ] & pFrom[ i ] ) == pFrom[ i ] );
        pTo[ i ] &= pFrom[ i ];
    }

    return ok;
}

static bool resumeSave( const uint8_t * pRecord,
                        uint32_t recordSize )
{
    int32_t newest = newestSector();
    uint32_t target = ( newest == 0 ) ? 1U : 0U;
    uint32_t sequence = ( newest < 0 ) ? 1U : sector( ( uint32_t ) newest )->sequence + 1U;
    uint32_t commit = RESUME_COMMIT;
    FwResumeSector_t * pSector = sector( target );
    bool ok = ( pRecord != NULL ) && ( recordSize <= sizeof( pSector->data ) );

    if( ok )
    {
        /* The newest record stays in the other sector until this one is committed. */
        eraseSector( target );
        ok = program( pSector->data, pRecord, recordSize ) &&
             program( &pSector->length, &recordSize, sizeof( recordSize ) ) &&
             program( &pSector->sequence, &sequence, sizeof( sequence ) ) &&
             program( &pSector->commit, &commit, sizeof( commit ) ) &&
             sectorValid( target ) && ( memcmp( pSector->data, pRecord, recordSize ) == 0 );
    }

    if( ok )
    {
        stats.saves++;
    }
    else
    {
        stats.saveFailures++;
    }

    return ok;
}

static uint32_t resumeLoad( uint8_t * pBuffer,
                            uint32_t bufferSize )
{
    int32_t newest = newestSector();
    uint32_t length = 0U;

    stats.loads++;

    if( ( newest >= 0 ) && ( pBuffer != NULL ) && ( sector( ( uint32_t ) newest )->length <= bufferSize ) )
    {
        length = sector( ( uint32_t ) newest )->length;
        ( void ) memcpy( pBuffer, sector( ( uint32_t ) newest )->data, length );
    }

    stats.loadedSize = length;
    return length;
}

static bool resumeErase( void )
{
    uint32_t i;

    stats.erases++;

    for( i = 0U; i < FW_RESUME_SECTORS; i++ )
    {
        /* Only sectors that hold anything: erasing costs flash wear. */
        if( sector( i )->commit != ERASED_WORD )
        {
            eraseSector( i );
        }
    }

    return newestSector() < 0;
}

bool fwResumeStored( uint32_t * pNeeded,
                     uint32_t * pBlocks )
{
    int32_t newest = newestSector();
    const uint8_t * pRecord;
    uint32_t length;
    uint32_t bitmapAt;
    uint32_t bitmapLength;
    uint32_t needed = 0U;
    uint32_t i;
    uint8_t bits;

    if( newest < 0 )
    {
        return false;
    }

    /* ota_ext.h: J at byte 5, S at 6, the file size at 8, the block size at 12, B at 24; the
     * bitmap follows the job ID and the stream name. */
    pRecord = sector( ( uint32_t ) newest )->data;
    length = sector( ( uint32_t ) newest )->length;
    bitmapAt = 28U + pRecord[ 5 ] + pRecord[ 6 ];
    bitmapLength = ( uint32_t ) pRecord[ 24 ] | ( ( uint32_t ) pRecord[ 25 ] << 8 );

    if( ( bitmapAt + bitmapLength + 4U != length ) || ( le32( &pRecord[ 12 ] ) == 0U ) )
    {
        return false;
    }

    for( i = 0U; i < bitmapLength; i++ )
    {
        for( bits = pRecord[ bitmapAt + i ]; bits != 0U; bits &= ( uint8_t ) ( bits - 1U ) )
        {
            needed++;
        }
    }

    *pNeeded = needed;
    *pBlocks = ( le32( &pRecord[ 8 ] ) + le32( &pRecord[ 12 ] ) - 1U ) / le32( &pRecord[ 12 ] );
    return true;
}

FwResumeStats_t fwResumeStats( void )
{
    return stats;
}

static uint8_t recordBuffer[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];

/* The agent keeps the pointer: static, like the interface table. */
static const OtaResumeInterface_t resumeInterface =
{
    .save             = resumeSave,
    .load             = resumeLoad,
    .erase            = resumeErase,
    .reopenFile       = fwPalReopenFile,
    .flushFile        = NULL, /* fwFlashProgram's bytes are in flash once it returns */
    .pRecordBuffer    = recordBuffer,
    .recordBufferSize = sizeof( recordBuffer ),
    .saveEveryBlocks  = FW_RESUME_SAVE_EVERY
};

bool fwResumeRegister( void )
{
    ( void ) memset( &stats, 0, sizeof( stats ) );
    return OTA_EXT_SetResume( &resumeInterface ) == OtaErrNone;
}
