/* ota-rs c_tests/own_pal: the application's own POSIX OS port, as applications of v2.0.0 have
 * when they compile its ota_os_posix.c. libota.a carries the same names by default (as weak
 * forwarders to the Rust port), so the link must succeed and these definitions must win.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE    200809L

#include <stdlib.h>

#include "ota_os_posix.h"

int ownOsPortCalls;

OtaOsStatus_t Posix_OtaInitEvent( OtaEventContext_t * pEventCtx )
{
    ( void ) pEventCtx;
    ownOsPortCalls++;
    return OtaOsEventQueueCreateFailed;
}

OtaOsStatus_t Posix_OtaSendEvent( OtaEventContext_t * pEventCtx,
                                  const void * pEventMsg,
                                  unsigned int timeout )
{
    ( void ) pEventCtx;
    ( void ) pEventMsg;
    ( void ) timeout;
    ownOsPortCalls++;
    return OtaOsEventQueueSendFailed;
}

OtaOsStatus_t Posix_OtaReceiveEvent( OtaEventContext_t * pEventCtx,
                                     void * pEventMsg,
                                     uint32_t timeout )
{
    ( void ) pEventCtx;
    ( void ) pEventMsg;
    ( void ) timeout;
    ownOsPortCalls++;
    return OtaOsEventQueueReceiveFailed;
}

OtaOsStatus_t Posix_OtaDeinitEvent( OtaEventContext_t * pEventCtx )
{
    ( void ) pEventCtx;
    ownOsPortCalls++;
    return OtaOsEventQueueDeleteFailed;
}

OtaOsStatus_t Posix_OtaStartTimer( OtaTimerId_t otaTimerId,
                                   const char * const pTimerName,
                                   const uint32_t timeout,
                                   OtaTimerCallback_t callback )
{
    ( void ) otaTimerId;
    ( void ) pTimerName;
    ( void ) timeout;
    ( void ) callback;
    ownOsPortCalls++;
    return OtaOsTimerStartFailed;
}

OtaOsStatus_t Posix_OtaStopTimer( OtaTimerId_t otaTimerId )
{
    ( void ) otaTimerId;
    ownOsPortCalls++;
    return OtaOsTimerStopFailed;
}

OtaOsStatus_t Posix_OtaDeleteTimer( OtaTimerId_t otaTimerId )
{
    ( void ) otaTimerId;
    ownOsPortCalls++;
    return OtaOsTimerDeleteFailed;
}

void * STDC_Malloc( size_t size )
{
    ownOsPortCalls++;
    return malloc( size );
}

void STDC_Free( void * ptr )
{
    ownOsPortCalls++;
    free( ptr );
}
