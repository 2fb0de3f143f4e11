/* Startup for mps2-an386: vector table, Reset_Handler, UART0 console (newlib syscalls), semihosting exit and command line. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fw.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern uint8_t __heap_start, __heap_end;
extern int main( void );
extern void vPortSVCHandler( void );
extern void xPortPendSVHandler( void );
extern void xPortSysTickHandler( void );

/* CMSDK APB UART0 registers. */
#define UART0_DATA       ( *( volatile uint32_t * ) 0x40004000UL )
#define UART0_STATE      ( *( volatile uint32_t * ) 0x40004004UL )
#define UART0_CTRL       ( *( volatile uint32_t * ) 0x40004008UL )
#define UART0_BAUDDIV    ( *( volatile uint32_t * ) 0x40004010UL )

void Reset_Handler( void );
static void Fault_Handler( void );

/* Exceptions 0..15; external interrupts are unused, so the table stops at SysTick. */
__attribute__( ( section( ".vectors" ), used ) ) static void ( * const vectors[ 16 ] )( void ) =
{
    ( void ( * )( void ) ) &__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    vPortSVCHandler,
    Fault_Handler, /* DebugMon */
    0,
    xPortPendSVHandler,
    xPortSysTickHandler
};

void Reset_Handler( void )
{
    uint32_t * pSrc = &__data_load;
    uint32_t * pDst;

    for( pDst = &__data_start; pDst < &__data_end; )
    {
        *pDst++ = *pSrc++;
    }

    for( pDst = &__bss_start; pDst < &__bss_end; )
    {
        *pDst++ = 0U;
    }

    UART0_BAUDDIV = 16U;
    UART0_CTRL = 1U; /* TX enable */
    fwExit( main() );
}

/* Semihosting call: bkpt 0xab with r0 = operation, r1 = argument. */
static int semihost( int op, void * pArg )
{
    register int r0 __asm__( "r0" ) = op;
    register void * r1 __asm__( "r1" ) = pArg;

    __asm__ volatile ( "bkpt 0xab" : "+r" ( r0 ) : "r" ( r1 ) : "memory" );
    return r0;
}

const char * fwCommandLine( void )
{
    static char line[ 80 ];
    static bool read;
    struct
    {
        char * pBuffer;
        int length;
    } block = { line, ( int ) sizeof( line ) - 1 };

    if( !read )
    {
        read = true;

        /* SYS_GET_CMDLINE: QEMU's -semihosting-config arg=... words, joined by spaces. */
        if( semihost( 0x15, &block ) != 0 )
        {
            block.length = 0;
        }

        line[ ( block.length >= 0 ) && ( block.length < ( int ) sizeof( line ) ) ? block.length : 0 ] = '\0';
    }

    return line;
}

void fwExit( int status )
{
    /* SYS_EXIT_EXTENDED carries the status; plain SYS_EXIT says only success or failure. */
    uint32_t block[ 2 ] = { 0x20026U, ( uint32_t ) status };

    fflush( stdout );
    ( void ) semihost( 0x20, block );
    ( void ) semihost( 0x18, ( void * ) ( uintptr_t ) ( ( status == 0 ) ? 0x20026U : 0x20023U ) );

    for( ; ; )
    {
    }
}

static void Fault_Handler( void )
{
    static const char message[] = "\r\nFAULT\r\n";
    const char * p;

    for( p = message; *p != '\0'; p++ )
    {
        while( ( UART0_STATE & 1U ) != 0U )
        {
        }

        UART0_DATA = ( uint32_t ) *p;
    }

    fwExit( 3 );
}

static void uartPut( char c )
{
    while( ( UART0_STATE & 1U ) != 0U ) /* TX buffer full */
    {
    }

    UART0_DATA = ( uint32_t ) ( uint8_t ) c;
}

/* ---- newlib syscalls: stdout/stderr go to UART0, the malloc arena is bounded by the linker. ---- */

int _write( int fd, const char * pBuf, int length )
{
    int i;

    ( void ) fd;

    for( i = 0; i < length; i++ )
    {
        if( pBuf[ i ] == '\n' )
        {
            uartPut( '\r' );
        }

        uartPut( pBuf[ i ] );
    }

    return length;
}

void * _sbrk( ptrdiff_t increment )
{
    static uint8_t * pBreak = &__heap_start;
    uint8_t * pOld = pBreak;

    if( ( pBreak + increment ) > &__heap_end )
    {
        errno = ENOMEM;
        return ( void * ) -1;
    }

    pBreak += increment;
    return pOld;
}

int _read( int fd, char * pBuf, int length ) { ( void ) fd; ( void ) pBuf; ( void ) length; return 0; }
int _close( int fd ) { ( void ) fd; return -1; }
int _lseek( int fd, int offset, int whence ) { ( void ) fd; ( void ) offset; ( void ) whence; return 0; }
int _isatty( int fd ) { ( void ) fd; return 1; }
int _fstat( int fd, struct stat * pStat ) { ( void ) fd; pStat->st_mode = S_IFCHR; return 0; }
int _getpid( void ) { return 1; }
int _kill( int pid, int sig ) { ( void ) pid; ( void ) sig; errno = EINVAL; return -1; }
void _exit( int status ) { fwExit( status ); }
