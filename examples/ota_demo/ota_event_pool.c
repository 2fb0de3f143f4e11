/* ota-rs example: the application's pool of OTA event buffers (see ota_event_pool.h).
 * SPDX-License-Identifier: MIT */

#include "ota_event_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static OtaEventData_t eventBuffers[ OTA_EVENT_POOL_SIZE ];
static uint32_t buffersInUse;
static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bufferReleased = PTHREAD_COND_INITIALIZER;

static struct timespec deadlineAfterMs( uint32_t ms )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_REALTIME, &t );
    t.tv_sec += ( time_t ) ( ms / 1000U );
    t.tv_nsec += ( long ) ( ms % 1000U ) * 1000000L;

    if( t.tv_nsec >= 1000000000L )
    {
        t.tv_sec += 1;
        t.tv_nsec -= 1000000000L;
    }

    return t;
}

static OtaEventData_t * takeFree( void )
{
    for( uint32_t i = 0; i < OTA_EVENT_POOL_SIZE; i++ )
    {
        if( !eventBuffers[ i ].bufferUsed )
        {
            eventBuffers[ i ].bufferUsed = true;
            eventBuffers[ i ].dataLength = 0;
            buffersInUse++;
            return &eventBuffers[ i ];
        }
    }

    return NULL;
}

OtaEventData_t * OtaEventPool_Get( uint32_t waitMs )
{
    struct timespec deadline = deadlineAfterMs( waitMs );
    OtaEventData_t * pBuffer;
    int rc = 0;

    pthread_mutex_lock( &poolLock );

    /* Bounded: ends when a buffer is free or the deadline has passed. */
    while( ( ( pBuffer = takeFree() ) == NULL ) && ( rc != ETIMEDOUT ) )
    {
        rc = pthread_cond_timedwait( &bufferReleased, &poolLock, &deadline );
    }

    pthread_mutex_unlock( &poolLock );

    return pBuffer;
}

void OtaEventPool_Release( OtaEventData_t * pBuffer )
{
    bool fromPool = false;

    for( uint32_t i = 0; i < OTA_EVENT_POOL_SIZE; i++ )
    {
        fromPool = fromPool || ( pBuffer == &eventBuffers[ i ] );
    }

    if( !fromPool )
    {
        return;
    }

    pthread_mutex_lock( &poolLock );

    if( pBuffer->bufferUsed )
    {
        pBuffer->bufferUsed = false;
        buffersInUse--;
        pthread_cond_signal( &bufferReleased );
    }

    pthread_mutex_unlock( &poolLock );
}

uint32_t OtaEventPool_InUse( void )
{
    uint32_t n;

    pthread_mutex_lock( &poolLock );
    n = buffersInUse;
    pthread_mutex_unlock( &poolLock );

    return n;
}
