/* Shared helpers of the QEMU firmwares: the exit status through semihosting, the command line. */
#ifndef FW_H
#define FW_H

#include <stddef.h>
#include <stdio.h>

/* Ends QEMU with this status (semihosting); never returns. */
void fwExit( int status ) __attribute__( ( noreturn ) );

/* The semihosting command line (run.sh passes the scenario there); "" if there is none. */
const char * fwCommandLine( void );

/* Prints made on the OTA agent's stack (the app callback, the PAL); -DFW_QUIET_AGENT compiles
 * them out, to measure the agent's stack alone. */
#ifdef FW_QUIET_AGENT
    #define FW_AGENT_PRINTF( ... )    do { } while( 0 )
#else
    #define FW_AGENT_PRINTF( ... )    ( void ) printf( __VA_ARGS__ )
#endif

#endif /* FW_H */
