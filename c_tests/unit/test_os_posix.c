/* ota-rs c_tests: the POSIX OS port in libota.a through its C header. SPDX-License-Identifier: MIT
 *
 * Waits are bounded: a test waits for something to happen for at most BOUND_MS and only ever
 * checks that it happened (or returned) before that bound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"
#include "ota_private.h"
#include "ota_os_posix.h"

#define BOUND_MS    5000U

/* Event data pointers are only compared, never followed: any tag will do. */
#define TAG( x )    ( ( OtaEventData_t * ) ( uintptr_t ) ( x ) )

static atomic_uint fired[ OtaNumOfTimers ];
static atomic_uint wrongIds;

static uint64_t now_ms( void )
{
    struct timespec ts;

    ( void ) clock_gettime( CLOCK_MONOTONIC, &ts );
    return ( ( uint64_t ) ts.tv_sec * 1000U ) + ( ( uint64_t ) ts.tv_nsec / 1000000U );
}

static void sleep_ms( unsigned ms )
{
    struct timespec ts = { .tv_sec = ms / 1000U, .tv_nsec = ( long ) ( ms % 1000U ) * 1000000L };

    while( nanosleep( &ts, &ts ) != 0 && errno == EINTR )
    {
    }
}

static void on_timer( OtaTimerId_t id )
{
    if( ( unsigned ) id < ( unsigned ) OtaNumOfTimers )
    {
        atomic_fetch_add( &fired[ id ], 1U );
    }
    else
    {
        atomic_fetch_add( &wrongIds, 1U );
    }
}

/* True once timer `id` has fired `count` times, false if that takes longer than BOUND_MS. */
static bool fired_within_bound( OtaTimerId_t id,
                                unsigned count )
{
    uint64_t start = now_ms();

    while( atomic_load( &fired[ id ] ) < count )
    {
        if( now_ms() - start > BOUND_MS )
        {
            return false;
        }

        sleep_ms( 1U );
    }

    return true;
}

static OtaEventMsg_t make_msg( OtaEvent_t id,
                               uintptr_t data )
{
    OtaEventMsg_t msg;

    memset( &msg, 0, sizeof( msg ) );
    msg.eventId = id;
    msg.pEventData = TAG( data );
    return msg;
}

static int clean_port( void ** state )
{
    ( void ) state;
    ( void ) Posix_OtaDeleteTimer( OtaRequestTimer );
    ( void ) Posix_OtaDeleteTimer( OtaSelfTestTimer );
    ( void ) Posix_OtaDeinitEvent( NULL );
    atomic_store( &fired[ OtaRequestTimer ], 0U );
    atomic_store( &fired[ OtaSelfTestTimer ], 0U );
    atomic_store( &wrongIds, 0U );
    return 0;
}

/* ------------------------------------------------------------------------------ queue -- */

static void send_and_receive_carry_the_event_by_value( void ** state )
{
    OtaEventMsg_t sent = make_msg( OtaAgentEventStart, 0x1000U );
    OtaEventMsg_t got = make_msg( OtaAgentEventShutdown, 0U );

    ( void ) state;
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );
    assert_int_equal( Posix_OtaSendEvent( NULL, &sent, 0U ), OtaOsSuccess );
    /* The sender may reuse its buffer at once. */
    sent = make_msg( OtaAgentEventUserAbort, 0x2000U );
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &got, 0U ), OtaOsSuccess );
    assert_int_equal( got.eventId, OtaAgentEventStart );
    assert_ptr_equal( got.pEventData, TAG( 0x1000U ) );
    assert_int_equal( Posix_OtaDeinitEvent( NULL ), OtaOsSuccess );
}

static void receive_with_a_timeout_fails_on_an_empty_queue( void ** state )
{
    OtaEventMsg_t got;
    uint64_t start;

    ( void ) state;
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );
    start = now_ms();
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &got, 20U ), OtaOsEventQueueReceiveFailed );
    assert_true( now_ms() - start < BOUND_MS );
}

static void * send_later( void * arg )
{
    OtaEventMsg_t msg = make_msg( OtaAgentEventResume, 0x3000U );

    sleep_ms( 20U );
    *( OtaOsStatus_t * ) arg = Posix_OtaSendEvent( NULL, &msg, 0U );
    return NULL;
}

static void receive_with_zero_timeout_waits_for_a_sender( void ** state )
{
    OtaEventMsg_t got = make_msg( OtaAgentEventStart, 0U );
    OtaOsStatus_t sendStatus = OtaOsEventQueueSendFailed;
    pthread_t sender;

    ( void ) state;
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );
    assert_int_equal( pthread_create( &sender, NULL, send_later, &sendStatus ), 0 );
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &got, 0U ), OtaOsSuccess );
    assert_int_equal( pthread_join( sender, NULL ), 0 );
    assert_int_equal( sendStatus, OtaOsSuccess );
    assert_int_equal( got.eventId, OtaAgentEventResume );
    assert_ptr_equal( got.pEventData, TAG( 0x3000U ) );
}

static void full_queue_send_fails_in_bounded_time( void ** state )
{
    OtaEventMsg_t msg;
    OtaEventMsg_t got;
    uint64_t start;
    uintptr_t i;

    ( void ) state;
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );

    for( i = 0; i < OTA_NUM_MSG_Q_ENTRIES; i++ )
    {
        msg = make_msg( OtaAgentEventReceivedFileBlock, i );
        assert_int_equal( Posix_OtaSendEvent( NULL, &msg, 0U ), OtaOsSuccess );
    }

    /* v2.0.0 blocked here for ever; the agent passes 0. */
    msg = make_msg( OtaAgentEventReceivedFileBlock, 0xFFFFU );
    start = now_ms();
    assert_int_equal( Posix_OtaSendEvent( NULL, &msg, 0U ), OtaOsEventQueueSendFailed );
    assert_int_equal( Posix_OtaSendEvent( NULL, &msg, 50U ), OtaOsEventQueueSendFailed );
    assert_true( now_ms() - start < BOUND_MS );

    /* Nothing lost, nothing extra, first in first out. */
    for( i = 0; i < OTA_NUM_MSG_Q_ENTRIES; i++ )
    {
        assert_int_equal( Posix_OtaReceiveEvent( NULL, &got, 0U ), OtaOsSuccess );
        assert_ptr_equal( got.pEventData, TAG( i ) );
    }

    assert_int_equal( Posix_OtaReceiveEvent( NULL, &got, 1U ), OtaOsEventQueueReceiveFailed );
}

static void without_a_queue_calls_fail_at_once( void ** state )
{
    OtaEventMsg_t msg = make_msg( OtaAgentEventStart, 0U );

    ( void ) state;
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeinitEvent( NULL ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeinitEvent( NULL ), OtaOsEventQueueDeleteFailed );
    assert_int_equal( Posix_OtaSendEvent( NULL, &msg, 0U ), OtaOsEventQueueSendFailed );
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &msg, 0U ), OtaOsEventQueueReceiveFailed );
}

/* ----------------------------------------------------------------------------- timers -- */

static void timers_fire_with_their_own_ids( void ** state )
{
    ( void ) state;
    assert_int_equal( Posix_OtaStartTimer( OtaRequestTimer, "OtaRequestTimer", 10U, on_timer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaStartTimer( OtaSelfTestTimer, "OtaSelfTestTimer", 20U, on_timer ), OtaOsSuccess );
    assert_true( fired_within_bound( OtaRequestTimer, 1U ) );
    assert_true( fired_within_bound( OtaSelfTestTimer, 1U ) );
    assert_int_equal( atomic_load( &wrongIds ), 0U );
    /* An expired timer still exists: it can be stopped and deleted. */
    assert_int_equal( Posix_OtaStopTimer( OtaRequestTimer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeleteTimer( OtaRequestTimer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeleteTimer( OtaSelfTestTimer ), OtaOsSuccess );
}

static void restarting_a_running_timer_rearms_it( void ** state )
{
    ( void ) state;
    assert_int_equal( Posix_OtaStartTimer( OtaRequestTimer, "OtaRequestTimer", 600000U, on_timer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaStartTimer( OtaRequestTimer, "OtaRequestTimer", 10U, on_timer ), OtaOsSuccess );
    assert_true( fired_within_bound( OtaRequestTimer, 1U ) );
    /* And again after it fired. */
    assert_int_equal( Posix_OtaStartTimer( OtaRequestTimer, "OtaRequestTimer", 10U, on_timer ), OtaOsSuccess );
    assert_true( fired_within_bound( OtaRequestTimer, 2U ) );
}

static void a_stopped_timer_does_not_fire( void ** state )
{
    ( void ) state;
    assert_int_equal( Posix_OtaStartTimer( OtaSelfTestTimer, "OtaSelfTestTimer", 100U, on_timer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaStopTimer( OtaSelfTestTimer ), OtaOsSuccess );
    sleep_ms( 150U );
    assert_int_equal( atomic_load( &fired[ OtaSelfTestTimer ] ), 0U );
    assert_int_equal( Posix_OtaStopTimer( OtaSelfTestTimer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeleteTimer( OtaSelfTestTimer ), OtaOsSuccess );
}

static void deleting_a_never_started_timer_is_harmless( void ** state )
{
    ( void ) state;
    assert_int_equal( Posix_OtaStartTimer( OtaRequestTimer, "OtaRequestTimer", 20U, on_timer ), OtaOsSuccess );
    /* v2.0.0's status for a timer that does not exist; nothing else happens. */
    assert_int_equal( Posix_OtaDeleteTimer( OtaSelfTestTimer ), OtaOsTimerDeleteFailed );
    assert_int_equal( Posix_OtaStopTimer( OtaSelfTestTimer ), OtaOsTimerStopFailed );
    assert_true( fired_within_bound( OtaRequestTimer, 1U ) );
    assert_int_equal( Posix_OtaStartTimer( OtaSelfTestTimer, "OtaSelfTestTimer", 10U, on_timer ), OtaOsSuccess );
    assert_true( fired_within_bound( OtaSelfTestTimer, 1U ) );
    assert_int_equal( Posix_OtaDeleteTimer( OtaSelfTestTimer ), OtaOsSuccess );
    assert_int_equal( Posix_OtaDeleteTimer( OtaSelfTestTimer ), OtaOsTimerDeleteFailed );
}

/* --------------------------------------------------------------------- two processes -- */

typedef struct
{
    pid_t pid;
    int toChild;
    int fromChild;
} Child_t;

#define CHILD_EVENTS    3U

/* Runs in a forked child: performs one step per command byte and answers 1 (done) or 0. */
static void child_loop( int commands,
                        int replies,
                        uintptr_t tag )
{
    char command;

    while( read( commands, &command, 1 ) == 1 )
    {
        OtaEventMsg_t msg;
        char ok = 1;
        uintptr_t i;

        switch( command )
        {
            case 'i':
                ok = ( char ) ( Posix_OtaInitEvent( NULL ) == OtaOsSuccess );
                break;

            case 's':

                for( i = 0; i < CHILD_EVENTS; i++ )
                {
                    msg = make_msg( OtaAgentEventReceivedFileBlock, tag + i );
                    ok = ( char ) ( ok && Posix_OtaSendEvent( NULL, &msg, 0U ) == OtaOsSuccess );
                }

                break;

            case 'r': /* Exactly this process's events, in order, and then nothing. */

                for( i = 0; i < CHILD_EVENTS; i++ )
                {
                    ok = ( char ) ( ok &&
                                    Posix_OtaReceiveEvent( NULL, &msg, BOUND_MS ) == OtaOsSuccess &&
                                    msg.pEventData == TAG( tag + i ) );
                }

                ok = ( char ) ( ok && Posix_OtaReceiveEvent( NULL, &msg, 20U ) == OtaOsEventQueueReceiveFailed );
                break;

            case 'd':
                ok = ( char ) ( Posix_OtaDeinitEvent( NULL ) == OtaOsSuccess );
                break;

            case 'x': /* No queue here. */
                ok = ( char ) ( Posix_OtaReceiveEvent( NULL, &msg, 20U ) == OtaOsEventQueueReceiveFailed );
                break;

            default:
                _exit( 0 );
        }

        if( write( replies, &ok, 1 ) != 1 )
        {
            _exit( 3 );
        }
    }

    _exit( 2 );
}

static void spawn_child( Child_t * pChild,
                         uintptr_t tag )
{
    int down[ 2 ];
    int up[ 2 ];

    assert_int_equal( pipe( down ), 0 );
    assert_int_equal( pipe( up ), 0 );
    pChild->pid = fork();
    assert_true( pChild->pid >= 0 );

    if( pChild->pid == 0 )
    {
        ( void ) close( down[ 1 ] );
        ( void ) close( up[ 0 ] );
        child_loop( down[ 0 ], up[ 1 ], tag );
    }

    ( void ) close( down[ 0 ] );
    ( void ) close( up[ 1 ] );
    pChild->toChild = down[ 1 ];
    pChild->fromChild = up[ 0 ];
}

/* Sends one command and waits (bounded) for the child's answer. */
static bool step( const Child_t * pChild,
                  char command )
{
    struct pollfd pfd = { .fd = pChild->fromChild, .events = POLLIN };
    char ok = 0;

    if( write( pChild->toChild, &command, 1 ) != 1 )
    {
        return false;
    }

    if( poll( &pfd, 1, ( int ) BOUND_MS ) != 1 )
    {
        return false;
    }

    return read( pChild->fromChild, &ok, 1 ) == 1 && ok == 1;
}

static bool finish( Child_t * pChild )
{
    int status = 0;
    char quit = 'q';
    uint64_t start = now_ms();
    pid_t done = 0;

    if( write( pChild->toChild, &quit, 1 ) != 1 )
    {
        ( void ) kill( pChild->pid, SIGKILL );
    }

    while( ( done = waitpid( pChild->pid, &status, WNOHANG ) ) == 0 && now_ms() - start < BOUND_MS )
    {
        sleep_ms( 1U );
    }

    if( done != pChild->pid )
    {
        ( void ) kill( pChild->pid, SIGKILL );
        ( void ) waitpid( pChild->pid, &status, 0 );
    }

    ( void ) close( pChild->toChild );
    ( void ) close( pChild->fromChild );
    return done == pChild->pid && WIFEXITED( status ) && WEXITSTATUS( status ) == 0;
}

static void two_processes_have_separate_queues( void ** state )
{
    Child_t a;
    Child_t b;
    OtaEventMsg_t msg = make_msg( OtaAgentEventStart, 0xC000U );
    bool ok = true;

    ( void ) state;

    /* This process has a queue with an event in it while the children run. */
    assert_int_equal( Posix_OtaInitEvent( NULL ), OtaOsSuccess );
    assert_int_equal( Posix_OtaSendEvent( NULL, &msg, 0U ), OtaOsSuccess );

    spawn_child( &a, 0xA000U );
    spawn_child( &b, 0xB000U );

    ok = ok && step( &b, 'x' ); /* A child starts without a queue (no inherited events). */
    ok = ok && step( &a, 'i' );
    ok = ok && step( &a, 's' ); /* A's queue holds A's events ... */
    ok = ok && step( &b, 'i' ); /* ... and B creating its queue (v2.0.0: unlink) keeps them. */
    ok = ok && step( &b, 's' );
    ok = ok && step( &b, 'd' ); /* B deleting its queue leaves A's alone. */
    ok = ok && step( &b, 'x' );
    ok = ok && step( &a, 'r' ); /* A sees exactly its own events. */
    ok = ok && step( &b, 'i' );
    ok = ok && step( &a, 's' );
    ok = ok && step( &b, 's' );
    ok = ok && step( &b, 'r' ); /* Both queues live at once, each with its own events. */
    ok = ok && step( &a, 'r' );
    ok = ok && step( &a, 'd' );
    ok = ok && step( &b, 'd' );

    ok = finish( &a ) && ok;
    ok = finish( &b ) && ok;
    assert_true( ok );

    /* The parent's queue still holds its one event, untouched by the children. */
    msg = make_msg( OtaAgentEventShutdown, 0U );
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &msg, BOUND_MS ), OtaOsSuccess );
    assert_int_equal( msg.eventId, OtaAgentEventStart );
    assert_ptr_equal( msg.pEventData, TAG( 0xC000U ) );
    assert_int_equal( Posix_OtaReceiveEvent( NULL, &msg, 1U ), OtaOsEventQueueReceiveFailed );
}

/* ----------------------------------------------------------------------------- memory -- */

static void malloc_and_free_pass_through( void ** state )
{
    unsigned char * p = STDC_Malloc( 100U );

    ( void ) state;
    assert_non_null( p );
    memset( p, 0x5A, 100U );
    assert_int_equal( p[ 99 ], 0x5A );
    STDC_Free( p );
    STDC_Free( NULL );
}

/* The port fits the OS interface the agent takes. */
static void functions_fill_the_os_interface( void ** state )
{
    OtaOSInterface_t os;

    ( void ) state;
    os.event.init = Posix_OtaInitEvent;
    os.event.send = Posix_OtaSendEvent;
    os.event.recv = Posix_OtaReceiveEvent;
    os.event.deinit = Posix_OtaDeinitEvent;
    os.event.pEventContext = NULL;
    os.timer.start = Posix_OtaStartTimer;
    os.timer.stop = Posix_OtaStopTimer;
    os.timer.delete = Posix_OtaDeleteTimer;
    os.mem.malloc = STDC_Malloc;
    os.mem.free = STDC_Free;
    assert_int_equal( os.event.init( os.event.pEventContext ), OtaOsSuccess );
    assert_int_equal( os.event.deinit( os.event.pEventContext ), OtaOsSuccess );
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test_setup_teardown( send_and_receive_carry_the_event_by_value,      clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( receive_with_a_timeout_fails_on_an_empty_queue, clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( receive_with_zero_timeout_waits_for_a_sender,   clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( full_queue_send_fails_in_bounded_time,          clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( without_a_queue_calls_fail_at_once,             clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( timers_fire_with_their_own_ids,                 clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( restarting_a_running_timer_rearms_it,           clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( a_stopped_timer_does_not_fire,                  clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( deleting_a_never_started_timer_is_harmless,     clean_port, clean_port ),
        cmocka_unit_test_setup_teardown( two_processes_have_separate_queues,             clean_port, clean_port ),
        cmocka_unit_test( malloc_and_free_pass_through ),
        cmocka_unit_test_setup_teardown( functions_fill_the_os_interface,                clean_port, clean_port ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
