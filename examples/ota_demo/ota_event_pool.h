/* ota-rs example: the application's pool of OTA event buffers.
 * SPDX-License-Identifier: MIT
 *
 * Every message the agent must process (a job document, a stream block) travels to it in an
 * OtaEventData_t that the application owns: the MQTT glue takes a buffer, copies the message in
 * and queues it with OTA_SignalEvent; the agent hands it back through the application callback
 * (OtaJobEventProcessed), which releases it here. A fixed pool: no allocation per message. */
#ifndef OTA_EVENT_POOL_H_
#define OTA_EVENT_POOL_H_

#include <stdint.h>

#include "ota.h"
#include "ota_private.h"

/* Number of buffers, from ota_config.h: the blocks of one request (otaconfigMAX_NUM_BLOCKS_REQUEST)
 * may all be in flight at once, plus a job document arriving meanwhile. */
#define OTA_EVENT_POOL_SIZE    otaconfigMAX_NUM_OTA_DATA_BUFFERS

_Static_assert( OTA_EVENT_POOL_SIZE > otaconfigMAX_NUM_BLOCKS_REQUEST,
                "otaconfigMAX_NUM_OTA_DATA_BUFFERS must exceed otaconfigMAX_NUM_BLOCKS_REQUEST" );

/* A free buffer, marked used; waits up to waitMs milliseconds for one to be released.
 * NULL when none became free in time. */
OtaEventData_t * OtaEventPool_Get( uint32_t waitMs );

/* Returns a buffer to the pool (NULL and buffers not from the pool are ignored). */
void OtaEventPool_Release( OtaEventData_t * pBuffer );

/* Buffers currently taken. */
uint32_t OtaEventPool_InUse( void );

#endif /* OTA_EVENT_POOL_H_ */
