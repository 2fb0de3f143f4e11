/* ota-rs example, simulated cloud: minimal CBOR for the stream messages (see cloud_cbor.h).
 * SPDX-License-Identifier: MIT */

#include "cloud_cbor.h"

#include <string.h>

#define MAJOR_UNSIGNED    0U
#define MAJOR_BYTES       2U
#define MAJOR_TEXT        3U
#define MAJOR_MAP         5U

/* ---- Reading ----------------------------------------------------------------------------- */

typedef struct Reader
{
    const uint8_t * p;
    size_t length;
    size_t position;
} Reader_t;

/* Reads one item head: its major type and argument (definite lengths only, up to 32 bits). */
static bool readHead( Reader_t * r,
                      uint8_t * pMajor,
                      uint32_t * pArgument )
{
    uint8_t initial;
    uint8_t info;
    size_t extra;
    uint32_t value = 0;

    if( r->position >= r->length )
    {
        return false;
    }

    initial = r->p[ r->position++ ];
    *pMajor = ( uint8_t ) ( initial >> 5 );
    info = ( uint8_t ) ( initial & 0x1fU );

    if( info < 24U )
    {
        *pArgument = info;
        return true;
    }

    switch( info )
    {
        case 24U: extra = 1; break;
        case 25U: extra = 2; break;
        case 26U: extra = 4; break;
        default: return false; /* 64-bit arguments, reserved values, indefinite lengths */
    }

    if( ( r->length - r->position ) < extra )
    {
        return false;
    }

    for( size_t i = 0; i < extra; i++ )
    {
        value = ( value << 8 ) | r->p[ r->position++ ];
    }

    *pArgument = value;

    return true;
}

/* Reads a text or byte string of the given major type; pData points into the message. */
static bool readString( Reader_t * r,
                        uint8_t major,
                        const uint8_t ** ppData,
                        size_t * pLength )
{
    uint8_t gotMajor;
    uint32_t length;

    if( !readHead( r, &gotMajor, &length ) || ( gotMajor != major ) ||
        ( ( r->length - r->position ) < length ) )
    {
        return false;
    }

    *ppData = &r->p[ r->position ];
    *pLength = length;
    r->position += length;

    return true;
}

static bool readUnsigned( Reader_t * r,
                          uint32_t * pValue )
{
    uint8_t major;

    return readHead( r, &major, pValue ) && ( major == MAJOR_UNSIGNED );
}

/* Skips a value of a key the simulator does not use. */
static bool skipValue( Reader_t * r )
{
    uint8_t major;
    uint32_t argument;

    if( !readHead( r, &major, &argument ) )
    {
        return false;
    }

    if( major == MAJOR_UNSIGNED )
    {
        return true;
    }

    if( ( ( major == MAJOR_BYTES ) || ( major == MAJOR_TEXT ) ) &&
        ( ( r->length - r->position ) >= argument ) )
    {
        r->position += argument;
        return true;
    }

    return false;
}

static bool keyIs( const uint8_t * pKey,
                   size_t keyLength,
                   char name )
{
    return ( keyLength == 1U ) && ( pKey[ 0 ] == ( uint8_t ) name );
}

bool CloudCbor_DecodeStreamRequest( const uint8_t * pMessage,
                                    size_t length,
                                    CloudStreamRequest_t * pRequest )
{
    Reader_t r = { pMessage, length, 0 };
    uint8_t major;
    uint32_t pairs;
    bool haveFile = false, haveSize = false, haveBitmap = false, haveCount = false;

    memset( pRequest, 0, sizeof( *pRequest ) );

    if( !readHead( &r, &major, &pairs ) || ( major != MAJOR_MAP ) )
    {
        return false;
    }

    for( uint32_t i = 0; i < pairs; i++ )
    {
        const uint8_t * pKey;
        size_t keyLength;
        bool ok;

        if( !readString( &r, MAJOR_TEXT, &pKey, &keyLength ) )
        {
            return false;
        }

        if( keyIs( pKey, keyLength, 'c' ) )
        {
            ok = readString( &r, MAJOR_TEXT, &pRequest->pClientToken, &pRequest->clientTokenLength );
        }
        else if( keyIs( pKey, keyLength, 'f' ) )
        {
            ok = haveFile = readUnsigned( &r, &pRequest->fileId );
        }
        else if( keyIs( pKey, keyLength, 'l' ) )
        {
            ok = haveSize = readUnsigned( &r, &pRequest->blockSize );
        }
        else if( keyIs( pKey, keyLength, 'o' ) )
        {
            ok = readUnsigned( &r, &pRequest->blockOffset );
        }
        else if( keyIs( pKey, keyLength, 'b' ) )
        {
            ok = haveBitmap = readString( &r, MAJOR_BYTES, &pRequest->pBitmap, &pRequest->bitmapLength );
        }
        else if( keyIs( pKey, keyLength, 'n' ) )
        {
            ok = haveCount = readUnsigned( &r, &pRequest->numBlocks );
        }
        else
        {
            ok = skipValue( &r );
        }

        if( !ok )
        {
            return false;
        }
    }

    return haveFile && haveSize && haveBitmap && haveCount;
}

/* ---- Writing ----------------------------------------------------------------------------- */

typedef struct Writer
{
    uint8_t * p;
    size_t capacity;
    size_t position;
    bool overflow;
} Writer_t;

static void writeBytes( Writer_t * w,
                        const uint8_t * pData,
                        size_t length )
{
    if( w->overflow || ( ( w->capacity - w->position ) < length ) )
    {
        w->overflow = true;
        return;
    }

    if( length > 0U )
    {
        memcpy( &w->p[ w->position ], pData, length );
    }

    w->position += length;
}

/* Writes an item head in its shortest form. */
static void writeHead( Writer_t * w,
                       uint8_t major,
                       uint32_t argument )
{
    uint8_t head[ 5 ];
    size_t length;

    head[ 0 ] = ( uint8_t ) ( major << 5 );

    if( argument < 24U )
    {
        head[ 0 ] |= ( uint8_t ) argument;
        length = 1;
    }
    else if( argument <= 0xffU )
    {
        head[ 0 ] |= 24U;
        head[ 1 ] = ( uint8_t ) argument;
        length = 2;
    }
    else if( argument <= 0xffffU )
    {
        head[ 0 ] |= 25U;
        head[ 1 ] = ( uint8_t ) ( argument >> 8 );
        head[ 2 ] = ( uint8_t ) argument;
        length = 3;
    }
    else
    {
        head[ 0 ] |= 26U;
        head[ 1 ] = ( uint8_t ) ( argument >> 24 );
        head[ 2 ] = ( uint8_t ) ( argument >> 16 );
        head[ 3 ] = ( uint8_t ) ( argument >> 8 );
        head[ 4 ] = ( uint8_t ) argument;
        length = 5;
    }

    writeBytes( w, head, length );
}

static void writeKey( Writer_t * w,
                      char name )
{
    uint8_t key = ( uint8_t ) name;

    writeHead( w, MAJOR_TEXT, 1U );
    writeBytes( w, &key, 1U );
}

size_t CloudCbor_EncodeBlock( uint8_t * pOut,
                              size_t capacity,
                              uint32_t fileId,
                              uint32_t blockId,
                              const uint8_t * pPayload,
                              uint32_t payloadLength )
{
    Writer_t w = { pOut, capacity, 0, false };

    writeHead( &w, MAJOR_MAP, 4U );
    writeKey( &w, 'f' );
    writeHead( &w, MAJOR_UNSIGNED, fileId );
    writeKey( &w, 'i' );
    writeHead( &w, MAJOR_UNSIGNED, blockId );
    writeKey( &w, 'l' );
    writeHead( &w, MAJOR_UNSIGNED, payloadLength );
    writeKey( &w, 'p' );
    writeHead( &w, MAJOR_BYTES, payloadLength );
    writeBytes( &w, pPayload, payloadLength );

    return w.overflow ? 0U : w.position;
}
