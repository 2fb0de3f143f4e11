/* ota-rs Linux device: the agent's HTTP data plane through libcurl. SPDX-License-Identifier: MIT
 *
 * v2.0.0 calls request() from its task for one block at a time and expects the body back as a
 * ReceivedFileBlock event. The request is made right there, bounded by a timeout. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "device.h"

#define URL_MAX               2048U
#define REQUEST_TIMEOUT_S     10L

typedef struct Body
{
    uint8_t data[ OTA_FILE_BLOCK_SIZE ];
    size_t length;
    bool overflow;
} Body_t;

static char url[ URL_MAX ];
static CURL * curl;
static Body_t body;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool urlRefused;

static size_t onData( char * pData,
                      size_t size,
                      size_t count,
                      void * pUser )
{
    Body_t * pBody = pUser;
    size_t n = size * count;

    if( ( pBody->length + n ) > sizeof( pBody->data ) )
    {
        pBody->overflow = true;
        return 0; /* ends the transfer: more than one block is not a block */
    }

    memcpy( &pBody->data[ pBody->length ], pData, n );
    pBody->length += n;

    return n;
}

static OtaHttpStatus_t httpInit( char * pUrl )
{
    if( ( pUrl == NULL ) || ( strlen( pUrl ) >= URL_MAX ) )
    {
        return OtaHttpInitFailed;
    }

    ( void ) snprintf( url, sizeof( url ), "%s", pUrl );

    if( curl == NULL )
    {
        curl = curl_easy_init();
    }

    return ( curl != NULL ) ? OtaHttpSuccess : OtaHttpInitFailed;
}

static OtaHttpStatus_t httpRequest( uint32_t rangeStart,
                                    uint32_t rangeEnd )
{
    char range[ 32 ];
    long status = 0;
    CURLcode rc;

    if( curl == NULL )
    {
        return OtaHttpRequestFailed;
    }

    ( void ) snprintf( range, sizeof( range ), "%u-%u", ( unsigned ) rangeStart, ( unsigned ) rangeEnd );
    body.length = 0;
    body.overflow = false;
    curl_easy_setopt( curl, CURLOPT_URL, url );
    curl_easy_setopt( curl, CURLOPT_RANGE, range );
    curl_easy_setopt( curl, CURLOPT_WRITEFUNCTION, onData );
    curl_easy_setopt( curl, CURLOPT_WRITEDATA, &body );
    curl_easy_setopt( curl, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S );
    curl_easy_setopt( curl, CURLOPT_NOSIGNAL, 1L );
    rc = curl_easy_perform( curl );
    ( void ) curl_easy_getinfo( curl, CURLINFO_RESPONSE_CODE, &status );

    if( ( rc != CURLE_OK ) || ( status != 206 ) )
    {
        if( status == 403 )
        {
            /* A pre-signed URL past its expiry: only a fresh job document brings a new one. */
            pthread_mutex_lock( &lock );
            urlRefused = true;
            pthread_mutex_unlock( &lock );
        }

        printf( "device: HTTP range %s failed: %s, status %ld\n", range,
                ( rc == CURLE_OK ) ? "answered" : curl_easy_strerror( rc ), status );
        return OtaHttpRequestFailed;
    }

    DeviceProgress_Block( body.length );

    if( !DeviceEvents_Deliver( OtaAgentEventReceivedFileBlock, body.data, body.length ) )
    {
        printf( "device: HTTP block %s dropped (agent busy)\n", range );
    }

    return OtaHttpSuccess;
}

static OtaHttpStatus_t httpDeinit( void )
{
    if( curl != NULL )
    {
        curl_easy_cleanup( curl );
        curl = NULL;
    }

    return OtaHttpSuccess;
}

void DeviceHttp_Interface( OtaHttpInterface_t * pHttp )
{
    pHttp->init = httpInit;
    pHttp->request = httpRequest;
    pHttp->deinit = httpDeinit;
}

bool DeviceHttp_TakeUrlRefused( void )
{
    bool refused;

    pthread_mutex_lock( &lock );
    refused = urlRefused;
    urlRefused = false;
    pthread_mutex_unlock( &lock );

    return refused;
}
