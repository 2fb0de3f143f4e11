/* ota-rs: the v2.0.0 names of the POSIX OS port, as weak forwarders to the Rust port.
 * SPDX-License-Identifier: MIT
 *
 * Weak, so that an application which compiles its own copy of v2.0.0's ota_os_posix.c links
 * against the default libota.a unchanged: its strong definitions are the ones used, and this
 * object is then not even pulled from the archive. */
#define _POSIX_C_SOURCE    200809L

#include "ota_os_posix.h"
#include "ota_os_posix_rs.h"

#define OTA_RS_WEAK    __attribute__( ( weak ) )

OTA_RS_WEAK OtaOsStatus_t Posix_OtaInitEvent( OtaEventContext_t * pEventCtx )
{
    return ota_rs_Posix_OtaInitEvent( pEventCtx );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaSendEvent( OtaEventContext_t * pEventCtx,
                                              const void * pEventMsg,
                                              unsigned int timeout )
{
    return ota_rs_Posix_OtaSendEvent( pEventCtx, pEventMsg, timeout );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaReceiveEvent( OtaEventContext_t * pEventCtx,
                                                 void * pEventMsg,
                                                 uint32_t timeout )
{
    return ota_rs_Posix_OtaReceiveEvent( pEventCtx, pEventMsg, timeout );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaDeinitEvent( OtaEventContext_t * pEventCtx )
{
    return ota_rs_Posix_OtaDeinitEvent( pEventCtx );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaStartTimer( OtaTimerId_t otaTimerId,
                                               const char * const pTimerName,
                                               const uint32_t timeout,
                                               OtaTimerCallback_t callback )
{
    return ota_rs_Posix_OtaStartTimer( otaTimerId, pTimerName, timeout, callback );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaStopTimer( OtaTimerId_t otaTimerId )
{
    return ota_rs_Posix_OtaStopTimer( otaTimerId );
}

OTA_RS_WEAK OtaOsStatus_t Posix_OtaDeleteTimer( OtaTimerId_t otaTimerId )
{
    return ota_rs_Posix_OtaDeleteTimer( otaTimerId );
}

OTA_RS_WEAK void * STDC_Malloc( size_t size )
{
    return ota_rs_STDC_Malloc( size );
}

OTA_RS_WEAK void STDC_Free( void * ptr )
{
    ota_rs_STDC_Free( ptr );
}
