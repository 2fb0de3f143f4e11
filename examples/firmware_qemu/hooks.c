/* FreeRTOS hooks shared by both firmwares: assertion, stack overflow and malloc failure end the run. */
#include <stdio.h>

#include "FreeRTOS.h"
#include "task.h"

#include "fw.h"

void fwAssertFailed( const char * pFile, int line )
{
    taskDISABLE_INTERRUPTS();
    printf( "ASSERT %s:%d\n", pFile, line );
    fwExit( 2 );
}

void vApplicationStackOverflowHook( TaskHandle_t xTask, char * pcTaskName )
{
    ( void ) xTask;
    printf( "STACK OVERFLOW in %s\n", pcTaskName );
    fwExit( 2 );
}

void vApplicationMallocFailedHook( void )
{
    printf( "FreeRTOS heap exhausted\n" );
    fwExit( 2 );
}
