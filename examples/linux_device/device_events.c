/* ota-rs Linux device: the pool of OTA event buffers. SPDX-License-Identifier: MIT
 *
 * Every message for the agent travels in an OtaEventData_t the application owns; the agent hands
 * it back through the callback (OtaJobEventProcessed). A fixed pool: no allocation per message. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "device.h"

static OtaEventData_t buffers[ otaconfigMAX_NUM_OTA_DATA_BUFFERS ];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static bool closed;

OtaEventData_t * DeviceEvents_Get( uint32_t waitMs )
{
    struct timespec deadline;
    OtaEventData_t * pFound = NULL;
    int rc = 0;

    ( void ) clock_gettime( CLOCK_REALTIME, &deadline );
    deadline.tv_sec += ( time_t ) ( waitMs / 1000U );
    deadline.tv_nsec += ( long ) ( waitMs % 1000U ) * 1000000L;

    if( deadline.tv_nsec >= 1000000000L )
    {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock( &lock );

    /* Ends when a buffer is free or the deadline passed. */
    while( ( pFound == NULL ) && ( rc != ETIMEDOUT ) )
    {
        for( size_t i = 0; ( i < otaconfigMAX_NUM_OTA_DATA_BUFFERS ) && ( pFound == NULL ); i++ )
        {
            if( !buffers[ i ].bufferUsed )
            {
                pFound = &buffers[ i ];
                pFound->bufferUsed = true;
                pFound->dataLength = 0;
            }
        }

        if( pFound == NULL )
        {
            rc = pthread_cond_timedwait( &released, &lock, &deadline );
        }
    }

    pthread_mutex_unlock( &lock );

    return pFound;
}

void DeviceEvents_Release( OtaEventData_t * pBuffer )
{
    /* Only buffers of this pool: the agent may pass back NULL or its own. */
    if( ( pBuffer < &buffers[ 0 ] ) || ( pBuffer >= &buffers[ otaconfigMAX_NUM_OTA_DATA_BUFFERS ] ) )
    {
        return;
    }

    pthread_mutex_lock( &lock );
    pBuffer->bufferUsed = false;
    pthread_cond_signal( &released );
    pthread_mutex_unlock( &lock );
}

bool DeviceEvents_Deliver( OtaEvent_t eventId,
                           const void * pPayload,
                           size_t length )
{
    OtaEventMsg_t msg = { 0 };
    OtaEventData_t * pBuffer;

    pthread_mutex_lock( &lock );
    bool refuse = closed;
    pthread_mutex_unlock( &lock );

    if( refuse || ( length > sizeof( buffers[ 0 ].data ) ) )
    {
        return false;
    }

    /* Waits a little for the agent to free a buffer; past that the agent asks again anyway. */
    pBuffer = DeviceEvents_Get( 2000U );

    if( pBuffer == NULL )
    {
        return false;
    }

    memcpy( pBuffer->data, pPayload, length );
    pBuffer->dataLength = ( uint32_t ) length;
    msg.eventId = eventId;
    msg.pEventData = pBuffer;

    if( !OTA_SignalEvent( &msg ) )
    {
        DeviceEvents_Release( pBuffer );
        return false;
    }

    return true;
}

void DeviceEvents_Close( void )
{
    pthread_mutex_lock( &lock );
    closed = true;
    pthread_cond_broadcast( &released );
    pthread_mutex_unlock( &lock );
}
