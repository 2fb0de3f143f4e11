/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* The simulated cloud's CBOR: see sim_cbor.h. Every item starts with a head byte holding the
 * major type (top 3 bits) and either a small argument (0..23) or the width of the argument
 * that follows, big-endian (24: 1 byte, 25: 2, 26: 4, 27: 8). */

#include <string.h>

#include "sim_cbor.h"

#define MAJOR_UNSIGNED    0U
#define MAJOR_NEGATIVE    1U
#define MAJOR_BYTES       2U
#define MAJOR_TEXT        3U
#define MAJOR_MAP         5U

/* ---- writing ----------------------------------------------------------------------------- */

void simCborWriterInit( SimCborWriter_t * pWriter,
                        uint8_t * pBuffer,
                        size_t capacity )
{
    pWriter->pBuffer = pBuffer;
    pWriter->capacity = capacity;
    pWriter->length = 0U;
    pWriter->overflow = false;
}

static void putRaw( SimCborWriter_t * pWriter,
                    const uint8_t * pBytes,
                    size_t count )
{
    if( pWriter->overflow || ( count > ( pWriter->capacity - pWriter->length ) ) )
    {
        pWriter->overflow = true;
    }
    else
    {
        ( void ) memcpy( &pWriter->pBuffer[ pWriter->length ], pBytes, count );
        pWriter->length += count;
    }
}

/* The shortest head for this argument. */
static void putHead( SimCborWriter_t * pWriter,
                     uint8_t major,
                     uint64_t argument )
{
    uint8_t head[ 9 ];
    size_t width;
    size_t i;

    if( argument < 24U )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | ( uint8_t ) argument );
        width = 0U;
    }
    else if( argument <= 0xffU )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 24U );
        width = 1U;
    }
    else if( argument <= 0xffffU )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 25U );
        width = 2U;
    }
    else if( argument <= 0xffffffffU )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 26U );
        width = 4U;
    }
    else
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 27U );
        width = 8U;
    }

    for( i = 0U; i < width; i++ )
    {
        head[ 1U + i ] = ( uint8_t ) ( argument >> ( 8U * ( width - 1U - i ) ) );
    }

    putRaw( pWriter, head, 1U + width );
}

void simCborPutMap( SimCborWriter_t * pWriter,
                    uint32_t entries )
{
    putHead( pWriter, MAJOR_MAP, entries );
}

void simCborPutInt( SimCborWriter_t * pWriter,
                    int64_t value )
{
    if( value >= 0 )
    {
        putHead( pWriter, MAJOR_UNSIGNED, ( uint64_t ) value );
    }
    else
    {
        /* -1 - value, computed without overflowing for INT64_MIN. */
        putHead( pWriter, MAJOR_NEGATIVE, ( uint64_t ) ( -( value + 1 ) ) );
    }
}

void simCborPutText( SimCborWriter_t * pWriter,
                     const char * pText )
{
    size_t length = strlen( pText );

    putHead( pWriter, MAJOR_TEXT, length );
    putRaw( pWriter, ( const uint8_t * ) pText, length );
}

void simCborPutBytes( SimCborWriter_t * pWriter,
                      const uint8_t * pBytes,
                      size_t length )
{
    putHead( pWriter, MAJOR_BYTES, length );
    putRaw( pWriter, pBytes, length );
}

size_t simCborWriterLength( const SimCborWriter_t * pWriter )
{
    return pWriter->overflow ? 0U : pWriter->length;
}

/* ---- reading ----------------------------------------------------------------------------- */

typedef struct Reader
{
    const uint8_t * pInput;
    size_t length;
    size_t position;
} Reader_t;

static bool getHead( Reader_t * pReader,
                     uint8_t * pMajor,
                     uint64_t * pArgument )
{
    bool ok = false;
    uint8_t initial;
    uint8_t info;
    size_t width = 0U;
    size_t i;

    if( pReader->position < pReader->length )
    {
        initial = pReader->pInput[ pReader->position ];
        pReader->position++;
        *pMajor = ( uint8_t ) ( initial >> 5 );
        info = ( uint8_t ) ( initial & 0x1fU );

        if( info < 24U )
        {
            *pArgument = info;
            ok = true;
        }
        else if( info <= 27U )
        {
            width = ( size_t ) 1U << ( info - 24U );

            if( width <= ( pReader->length - pReader->position ) )
            {
                *pArgument = 0U;

                for( i = 0U; i < width; i++ )
                {
                    *pArgument = ( *pArgument << 8 ) | pReader->pInput[ pReader->position + i ];
                }

                pReader->position += width;
                ok = true;
            }
        }
        else
        {
            /* 28..30 are reserved, 31 is an indefinite length: not part of this subset. */
        }
    }

    return ok;
}

/* A byte or text string's contents, `length` bytes from the current position. */
static bool getString( Reader_t * pReader,
                       uint64_t length,
                       const uint8_t ** ppBytes )
{
    bool ok = false;

    if( length <= ( uint64_t ) ( pReader->length - pReader->position ) )
    {
        *ppBytes = &pReader->pInput[ pReader->position ];
        pReader->position += ( size_t ) length;
        ok = true;
    }

    return ok;
}

static bool getField( Reader_t * pReader,
                      SimCborField_t * pField )
{
    bool ok;
    uint8_t major = 0U;
    uint64_t argument = 0U;
    const uint8_t * pKey = NULL;

    ( void ) memset( pField, 0, sizeof( *pField ) );

    /* The key: a short text string. */
    ok = getHead( pReader, &major, &argument ) && ( major == MAJOR_TEXT ) &&
         ( argument <= SIM_CBOR_MAX_KEY_LEN ) && getString( pReader, argument, &pKey );

    if( ok )
    {
        ( void ) memcpy( pField->key, pKey, ( size_t ) argument );
        pField->key[ argument ] = '\0';
        ok = getHead( pReader, &major, &argument );
    }

    if( ok )
    {
        switch( major )
        {
            case MAJOR_UNSIGNED:
                ok = ( argument <= ( uint64_t ) INT64_MAX );
                pField->kind = SimCborKindInt;
                pField->intValue = ( int64_t ) argument;
                break;

            case MAJOR_NEGATIVE:
                ok = ( argument <= ( uint64_t ) INT64_MAX );
                pField->kind = SimCborKindInt;
                pField->intValue = -1 - ( int64_t ) argument;
                break;

            case MAJOR_BYTES:
            case MAJOR_TEXT:
                pField->kind = ( major == MAJOR_BYTES ) ? SimCborKindBytes : SimCborKindText;
                pField->length = ( size_t ) argument;
                ok = getString( pReader, argument, &pField->pBytes );
                break;

            default:
                ok = false;
                break;
        }
    }

    return ok;
}

bool simCborDecodeMap( const uint8_t * pInput,
                       size_t length,
                       SimCborMap_t * pMap )
{
    Reader_t reader;
    uint8_t major = 0U;
    uint64_t entries = 0U;
    bool ok;
    size_t i;

    reader.pInput = pInput;
    reader.length = length;
    reader.position = 0U;
    pMap->count = 0U;

    ok = ( pInput != NULL ) && getHead( &reader, &major, &entries ) && ( major == MAJOR_MAP ) &&
         ( entries <= SIM_CBOR_MAX_FIELDS );

    for( i = 0U; ok && ( i < ( size_t ) entries ); i++ )
    {
        ok = getField( &reader, &pMap->fields[ i ] );
    }

    if( ok && ( reader.position == reader.length ) )
    {
        pMap->count = ( size_t ) entries;
    }
    else
    {
        ok = false;
    }

    return ok;
}

const SimCborField_t * simCborFind( const SimCborMap_t * pMap,
                                    const char * pKey,
                                    SimCborKind_t kind )
{
    const SimCborField_t * pFound = NULL;
    size_t i;

    for( i = 0U; ( pFound == NULL ) && ( i < pMap->count ); i++ )
    {
        if( ( strcmp( pMap->fields[ i ].key, pKey ) == 0 ) && ( pMap->fields[ i ].kind == kind ) )
        {
            pFound = &pMap->fields[ i ];
        }
    }

    return pFound;
}
