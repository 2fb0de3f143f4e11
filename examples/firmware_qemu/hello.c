/* Bring-up check: one FreeRTOS task prints over UART0 and ends QEMU with status 0. */
#include <stdio.h>

#include "FreeRTOS.h"
#include "task.h"

#include "fw.h"

/* run.sh passes -DHELLO_EXIT_STATUS=n to prove a non-zero status reaches the shell. */
#ifndef HELLO_EXIT_STATUS
    #define HELLO_EXIT_STATUS    0
#endif

static void helloTask( void * pParameters )
{
    ( void ) pParameters;
    printf( "hello from a FreeRTOS task, tick %lu\n", ( unsigned long ) xTaskGetTickCount() );
    vTaskDelay( pdMS_TO_TICKS( 100 ) );
    printf( "after 100 ms: tick %lu\n", ( unsigned long ) xTaskGetTickCount() );
    fwExit( HELLO_EXIT_STATUS );
}

int main( void )
{
    setvbuf( stdout, NULL, _IONBF, 0 ); /* no malloc'd stdio buffer, output at once */
    printf( "firmware_qemu: startup done\n" );
    xTaskCreate( helloTask, "hello", configMINIMAL_STACK_SIZE * 4, NULL, tskIDLE_PRIORITY + 1, NULL );
    vTaskStartScheduler();
    return 1;
}
