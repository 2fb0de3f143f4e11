/* ota-rs: the Rust implementation of the POSIX OS port, under the names it is exported by.
 * SPDX-License-Identifier: MIT
 *
 * Applications use the v2.0.0 names of ota_os_posix.h; ota_os_posix_weak.c defines those as
 * weak forwarders to these functions, so an application that compiles its own copy of
 * v2.0.0's ota_os_posix.c still links against the default libota.a (its definitions win). */
#ifndef OTA_OS_POSIX_RS_H_
#define OTA_OS_POSIX_RS_H_

#include <stddef.h>
#include <stdint.h>

#include "ota_os_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

OtaOsStatus_t ota_rs_Posix_OtaInitEvent( OtaEventContext_t * pEventCtx );
OtaOsStatus_t ota_rs_Posix_OtaSendEvent( OtaEventContext_t * pEventCtx,
                                         const void * pEventMsg,
                                         unsigned int timeout );
OtaOsStatus_t ota_rs_Posix_OtaReceiveEvent( OtaEventContext_t * pEventCtx,
                                            void * pEventMsg,
                                            uint32_t timeout );
OtaOsStatus_t ota_rs_Posix_OtaDeinitEvent( OtaEventContext_t * pEventCtx );
OtaOsStatus_t ota_rs_Posix_OtaStartTimer( OtaTimerId_t otaTimerId,
                                          const char * const pTimerName,
                                          const uint32_t timeout,
                                          OtaTimerCallback_t callback );
OtaOsStatus_t ota_rs_Posix_OtaStopTimer( OtaTimerId_t otaTimerId );
OtaOsStatus_t ota_rs_Posix_OtaDeleteTimer( OtaTimerId_t otaTimerId );
void * ota_rs_STDC_Malloc( size_t size );
void ota_rs_STDC_Free( void * ptr );

#ifdef __cplusplus
}
#endif

#endif /* OTA_OS_POSIX_RS_H_ */
