/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * Built only with -DOTA_UPSTREAM_DIR: an application that keeps its own copy of upstream
 * v2.0.0's ota_os_freertos.c (compiled unchanged next to this file) and links the default
 * libota.a. That it links at all is the check (no duplicate OtaInitEvent_FreeRTOS & co.); the
 * calls below show the application's port is the one that runs.
 */

#include <stdio.h>

#include "FreeRTOS.h"
#include "task.h"

#include "ota.h"
#include "ota_os_freertos.h" /* upstream's header, from OTA_UPSTREAM_DIR */

#include "sim_harness.h"

static volatile int timerCalls = 0;

static void onTimer( OtaTimerId_t id )
{
    ( void ) id;
    timerCalls++;
}

void simRunTests( void )
{
    /* Every function of the application's port, the way it fills OtaInterfaces_t.os. */
    OtaOSInterface_t os;
    OtaEventMsg_t sent;
    OtaEventMsg_t got;
    void * p;

    os.event.init = OtaInitEvent_FreeRTOS;
    os.event.send = OtaSendEvent_FreeRTOS;
    os.event.recv = OtaReceiveEvent_FreeRTOS;
    os.event.deinit = OtaDeinitEvent_FreeRTOS;
    os.event.pEventContext = NULL;
    os.timer.start = OtaStartTimer_FreeRTOS;
    os.timer.stop = OtaStopTimer_FreeRTOS;
    os.timer.delete = OtaDeleteTimer_FreeRTOS;
    os.mem.malloc = Malloc_FreeRTOS;
    os.mem.free = Free_FreeRTOS;

    simSection( "upstream v2.0.0 ota_os_freertos.c linked with the default libota.a" );

    /* From libota.a, so the archive is really part of the link. */
    SIM_CHECK( OTA_OsStatus_strerror( OtaOsSuccess ) != NULL, "libota.a's OTA_OsStatus_strerror answers" );

    sent.eventId = OtaAgentEventStart;
    sent.pEventData = NULL;
    got.eventId = OtaAgentEventMax;
    SIM_CHECK( os.event.init( NULL ) == OtaOsSuccess, "upstream OtaInitEvent_FreeRTOS runs" );
    SIM_CHECK( os.event.send( NULL, &sent, 0U ) == OtaOsSuccess, "upstream OtaSendEvent_FreeRTOS runs" );
    SIM_CHECK( ( os.event.recv( NULL, &got, 0U ) == OtaOsSuccess ) && ( got.eventId == OtaAgentEventStart ),
               "upstream OtaReceiveEvent_FreeRTOS returns the event" );
    SIM_CHECK( os.event.deinit( NULL ) == OtaOsSuccess, "upstream OtaDeinitEvent_FreeRTOS runs" );

    SIM_CHECK( os.timer.start( OtaRequestTimer, "OtaRequest", 50U, onTimer ) == OtaOsSuccess,
               "upstream OtaStartTimer_FreeRTOS runs" );
    vTaskDelay( pdMS_TO_TICKS( 300U ) );
    printf( "  info upstream's request timer called its callback %d times in 300 ms "
            "(v2.0.0 never stores the callback; ports/freertos does)\n", timerCalls );
    SIM_CHECK( os.timer.stop( OtaRequestTimer ) == OtaOsSuccess, "upstream OtaStopTimer_FreeRTOS runs" );
    SIM_CHECK( os.timer.delete( OtaRequestTimer ) == OtaOsSuccess, "upstream OtaDeleteTimer_FreeRTOS runs" );

    p = os.mem.malloc( 64U );
    SIM_CHECK( p != NULL, "upstream Malloc_FreeRTOS returns memory" );
    os.mem.free( p );
}
