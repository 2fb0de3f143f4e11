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

/* One lock for the agent task and the application's threads (pthreads): one word holding its
 * owner, taken with one atomic compare-and-swap when free, which it nearly always is (a few
 * loads and stores are done under it). The owner is the address of a thread-local variable,
 * so a nested enter sees its own thread there without a per-thread depth count; bit 0 of the
 * word says a thread sleeps on the condition variable (never spins) waiting for it. */
static atomic_uintptr_t otaRsOwner;
static pthread_mutex_t otaRsSleep = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t otaRsWake = PTHREAD_COND_INITIALIZER;
/* Only its address is used (4-aligned, so bit 0 is free). Initial-exec: reached from the thread
 * pointer without a __tls_get_addr call; its 4 bytes fit glibc's static TLS reserve even when
 * a shared library holding libota.a is dlopen()ed. */
static __thread uint32_t otaRsSelf __attribute__( ( tls_model( "initial-exec" ) ) );

#define OTA_RS_WAITING    ( ( uintptr_t ) 1U )

/* ThreadSanitizer's annotations, present when the program links its runtime: this file is
 * usually built without -fsanitize=thread, so TSan would not see the atomics order accesses. */
extern void __tsan_acquire( void * pAddr ) __attribute__( ( weak ) );
extern void __tsan_release( void * pAddr ) __attribute__( ( weak ) );

/* Out of line, as is the wake-up below: the uncontended enter and exit stay leaf functions
 * without a stack frame. `seen` is the owner the enter's compare-and-swap found: this thread
 * (a nested enter, which returns 0) or another. Under otaRsSleep a waiter either takes the free
 * lock or marks it waited for and sleeps; the owner's release swaps the word to 0, so it sees
 * the mark and broadcasts under otaRsSleep, after the waiter is asleep. */
__attribute__( ( noinline ) ) static uint32_t otaRsTakeSlowly( uintptr_t self,
                                                             uintptr_t seen )
{
    if( ( seen & ~OTA_RS_WAITING ) == self )
    {
        return 0U;
    }

    ( void ) pthread_mutex_lock( &otaRsSleep );
    seen = atomic_load( &otaRsOwner );

    for( ; ; )
    {
        if( seen == 0U )
        {
            if( atomic_compare_exchange_strong( &otaRsOwner, &seen, self ) )
            {
                break;
            }
        }
        else if( ( ( seen & OTA_RS_WAITING ) != 0U ) ||
                 atomic_compare_exchange_strong( &otaRsOwner, &seen, seen | OTA_RS_WAITING ) )
        {
            ( void ) pthread_cond_wait( &otaRsWake, &otaRsSleep );
            seen = atomic_load( &otaRsOwner );
        }
        else
        {
            /* The CAS failed and reloaded `seen`: look again. */
        }
    }

    ( void ) pthread_mutex_unlock( &otaRsSleep );

    if( __tsan_acquire != NULL )
    {
        __tsan_acquire( &otaRsOwner );
    }

    return 1U;
}

/* Returns 1 when this call took the lock (its exit releases it), 0 when the thread held it. */
__attribute__( ( weak ) ) uint32_t ota_rs_critical_enter( void )
{
    uintptr_t self = ( uintptr_t ) &otaRsSelf;
    uintptr_t seen = 0U;

    if( __builtin_expect( !atomic_compare_exchange_strong( &otaRsOwner, &seen, self ), 0 ) )
    {
        return otaRsTakeSlowly( self, seen );
    }

    if( __tsan_acquire != NULL )
    {
        __tsan_acquire( &otaRsOwner );
    }

    return 1U;
}

__attribute__( ( noinline ) ) static void otaRsWakeWaiters( void )
{
    ( void ) pthread_mutex_lock( &otaRsSleep );
    ( void ) pthread_cond_broadcast( &otaRsWake );
    ( void ) pthread_mutex_unlock( &otaRsSleep );
}

__attribute__( ( weak ) ) void ota_rs_critical_exit( uint32_t saved )
{
    if( saved != 0U )
    {
        if( __tsan_release != NULL )
        {
            __tsan_release( &otaRsOwner );
        }

        if( ( atomic_exchange( &otaRsOwner, 0U ) & OTA_RS_WAITING ) != 0U )
        {
            otaRsWakeWaiters();
        }
    }
}

#elif !( defined( __ARM_ARCH_PROFILE ) && ( __ARM_ARCH_PROFILE == 'M' ) )

    #error "ota-rs: no default lock for this target; define ota_rs_critical_enter/exit in your OS port (see src/ffi/shim.c)"

#endif /* if defined( __unix__ ) || defined( __APPLE__ ) */
