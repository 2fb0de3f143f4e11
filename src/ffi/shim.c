/* ota-rs: the C half of the FFI edge. SPDX-License-Identifier: MIT
 *
 * Compiled by build.rs with the application's ota_config.h, so log records from Rust go out
 * through the application's own LogError/LogWarn/LogInfo/LogDebug macros, exactly where the
 * C library's records went: a format and its arguments, formatted by the application. It also
 * looks up the two symbols the application defines, weakly, so programs that never call the
 * agent (codec tests, OS-port tests) link without them. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ota.h"
#include "ota_appversion32.h"

/* Each record is a level letter followed by a printf format, built and checked against the
 * entry point's argument types by Rust (src/log/mod.rs); the application's macro formats it. */
#define OTA_RS_LOG( pRecord, args )                 \
    do {                                            \
        switch( ( pRecord )[ 0 ] )                  \
        {                                           \
            case 'E': LogError( args ); break;      \
            case 'W': LogWarn( args ); break;       \
            case 'I': LogInfo( args ); break;       \
            default: LogDebug( args ); break;       \
        }                                           \
    } while( 0 )

/* Hands one record to the application's macro. An application whose macros paste text onto a
 * literal format (build.rs tried one that is not) gets the record formatted here instead. */
#ifdef OTA_RS_LOG_LITERAL_FORMATS
    #define OTA_RS_EMIT( pRecord, ... )                                                   \
    do {                                                                              \
        char line[ OTA_RS_LOG_LINE_MAX ];                                             \
        ( void ) snprintf( line, sizeof( line ), &( pRecord )[ 1 ], __VA_ARGS__ );    \
        OTA_RS_LOG( pRecord, ( "%s", line ) );                                        \
    } while( 0 )
#else
    #define OTA_RS_EMIT( pRecord, ... )    OTA_RS_LOG( pRecord, ( &( pRecord )[ 1 ], __VA_ARGS__ ) )
#endif

/* Longest record Rust makes (src/log/mod.rs MAX_RECORD) and its NUL. */
#define OTA_RS_LOG_LINE_MAX    257

/* The formats are not literals here; Rust checked them at compile time instead. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

void ota_rs_log_0( const char * pRecord );
void ota_rs_log_u( const char * pRecord,
                   unsigned int a,
                   unsigned int b,
                   unsigned int c );
void ota_rs_log_duu( const char * pRecord,
                    int d,
                    unsigned int a,
                    unsigned int b );
void ota_rs_log_sus( const char * pRecord,
                     int len1,
                     const char * p1,
                     unsigned int a,
                     int len2,
                     const char * p2 );
void ota_rs_log_sss( const char * pRecord,
                     int len1,
                     const char * p1,
                     int len2,
                     const char * p2,
                     int len3,
                     const char * p3 );

const AppVersion32_t * ota_rs_app_firmware_version( void );

const char * ota_rs_json_file_signature_key( void );

void ota_rs_trap( void ) __attribute__( ( noreturn ) );

uint32_t ota_rs_critical_enter( void );
void ota_rs_critical_exit( uint32_t saved );

/* Arguments past a format's last conversion are evaluated and ignored (C11 7.21.6.1p2); the
 * (void) casts are for levels whose macro is empty. */
void ota_rs_log_0( const char * pRecord )
{
    OTA_RS_EMIT( pRecord, 0 ); /* the 0 is past the format's end: ignored */
    ( void ) pRecord;
}

void ota_rs_log_u( const char * pRecord,
                   unsigned int a,
                   unsigned int b,
                   unsigned int c )
{
    OTA_RS_EMIT( pRecord, a, b, c );
    ( void ) a;
    ( void ) b;
    ( void ) c;
}

void ota_rs_log_duu( const char * pRecord,
                    int d,
                    unsigned int a,
                    unsigned int b )
{
    OTA_RS_EMIT( pRecord, d, a, b );
    ( void ) d;
    ( void ) a;
    ( void ) b;
}

void ota_rs_log_sus( const char * pRecord,
                     int len1,
                     const char * p1,
                     unsigned int a,
                     int len2,
                     const char * p2 )
{
    OTA_RS_EMIT( pRecord, len1, p1, a, len2, p2 );
    ( void ) len1;
    ( void ) p1;
    ( void ) a;
    ( void ) len2;
    ( void ) p2;
}

void ota_rs_log_sss( const char * pRecord,
                     int len1,
                     const char * p1,
                     int len2,
                     const char * p2,
                     int len3,
                     const char * p3 )
{
    OTA_RS_EMIT( pRecord, len1, p1, len2, p2, len3, p3 );
    ( void ) len1;
    ( void ) p1;
    ( void ) len2;
    ( void ) p2;
    ( void ) len3;
    ( void ) p3;
}

/* Weak: an undefined weak symbol has address NULL instead of failing the link. */
extern const AppVersion32_t appFirmwareVersion __attribute__( ( weak ) );
extern const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] __attribute__( ( weak ) );

const AppVersion32_t * ota_rs_app_firmware_version( void )
{
    return &appFirmwareVersion;
}

const char * ota_rs_json_file_signature_key( void )
{
    return OTA_JsonFileSignatureKey;
}

/* The panic handler's end: a trap costs two bytes, where abort() pulls in newlib's signals. */
void ota_rs_trap( void )
{
    __builtin_trap();
}

/* The lock around the agent's shared state (src/sys/global.rs) on hosted systems. Held for a
 * few loads and stores, never across a call out of the library; it nests. Weak, so an OS port
 * can supply its own: ports/freertos/ota_os_freertos.c uses taskENTER_CRITICAL (the FreeRTOS
 * POSIX simulator's tasks are pthreads that must not block in a mutex). Bare-metal Cortex-M
 * builds mask interrupts inline instead and never call these. */
#if defined( __unix__ ) || defined( __APPLE__ )

    #include <pthread.h>

    #include <stdatomic.h>
    #include <stdbool.h>

/* One lock for the agent task and the application's threads (pthreads): taken with one atomic
 * compare-and-swap when free, which it nearly always is (a few loads and stores are done under
 * it); a thread that finds it held sleeps on a condition variable, never spins. Nesting is
 * counted per thread. Uncontended it costs about a sixth of a pthread mutex. */
static atomic_int otaRsHeld;
static atomic_int otaRsWaiters;
static pthread_mutex_t otaRsSleep = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t otaRsWake = PTHREAD_COND_INITIALIZER;
static __thread uint32_t otaRsDepth;

/* ThreadSanitizer's annotations, present when the program links its runtime: this file is
 * usually built without -fsanitize=thread, so TSan would not see the atomics order accesses. */
extern void __tsan_acquire( void * pAddr ) __attribute__( ( weak ) );
extern void __tsan_release( void * pAddr ) __attribute__( ( weak ) );

static bool otaRsTake( void )
{
    int expected = 0;
    bool taken = atomic_compare_exchange_strong( &otaRsHeld, &expected, 1 );

    if( taken && ( __tsan_acquire != NULL ) )
    {
        __tsan_acquire( &otaRsHeld );
    }

    return taken;
}

/* Out of line, as is the wake-up below: the uncontended enter and exit stay leaf functions
 * without a stack frame (about half the instructions of an inlined slow path's prologue). */
__attribute__( ( noinline ) ) static void otaRsTakeSlowly( void )
{
    ( void ) pthread_mutex_lock( &otaRsSleep );
    ( void ) atomic_fetch_add( &otaRsWaiters, 1 );

    /* The releaser stores 0 before it reads the waiter count (both sequentially consistent):
     * either it sees this waiter and wakes it under otaRsSleep, or this take sees the 0. */
    while( !otaRsTake() )
    {
        ( void ) pthread_cond_wait( &otaRsWake, &otaRsSleep );
    }

    ( void ) atomic_fetch_sub( &otaRsWaiters, 1 );
    ( void ) pthread_mutex_unlock( &otaRsSleep );
}

__attribute__( ( weak ) ) uint32_t ota_rs_critical_enter( void )
{
    if( ( otaRsDepth++ == 0U ) && !otaRsTake() )
    {
        otaRsTakeSlowly();
    }

    return 0U;
}

__attribute__( ( noinline ) ) static void otaRsWakeWaiters( void )
{
    ( void ) pthread_mutex_lock( &otaRsSleep );
    ( void ) pthread_cond_broadcast( &otaRsWake );
    ( void ) pthread_mutex_unlock( &otaRsSleep );
}

__attribute__( ( weak ) ) void ota_rs_critical_exit( uint32_t saved )
{
    ( void ) saved;

    if( --otaRsDepth == 0U )
    {
        if( __tsan_release != NULL )
        {
            __tsan_release( &otaRsHeld );
        }

        atomic_store( &otaRsHeld, 0 );

        if( atomic_load( &otaRsWaiters ) != 0 )
        {
            otaRsWakeWaiters();
        }
    }
}

#elif !( defined( __ARM_ARCH_PROFILE ) && ( __ARM_ARCH_PROFILE == 'M' ) )

    #error "ota-rs: no default lock for this target; define ota_rs_critical_enter/exit in your OS port (see src/ffi/shim.c)"

#endif /* if defined( __unix__ ) || defined( __APPLE__ ) */
