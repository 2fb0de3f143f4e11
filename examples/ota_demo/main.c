/* ota-rs example: a complete OTA update on Linux, against a simulated AWS IoT.
 * SPDX-License-Identifier: MIT
 *
 *   ota_demo --dir DIR [--timeout SECONDS]
 *
 * A device application built on libota.a exactly as on the C library v2.0.0: the OTA agent
 * gets the POSIX OS port (Posix_Ota*, STDC_Malloc/Free), the POSIX PAL (otaPal_*: the image is
 * a file, its signature is checked against the signer certificate, the image state is kept in
 * a file) and an MQTT interface (ota_mqtt_glue.c) on a transport that, here, is the simulated
 * cloud (cloud_sim.c) instead of a broker.
 *
 * One run is one boot of the device:
 *
 * - Platform image state Valid (the factory image): the agent asks for its next job, gets the
 *   job document, downloads the file block by block over the MQTT stream, the PAL verifies its
 *   ECDSA signature, and the agent calls back with OtaJobEventActivate. The application calls
 *   OTA_ActivateNewImage() (the POSIX PAL leaves restarting to the application), shuts the
 *   agent down and "reboots": it makes the downloaded file executable and exec()s it. The
 *   update this demo ships is a newer build of this very program.
 * - Platform image state PendingCommit (the new image, first boot): the job document now says
 *   self_test; the agent checks that this build is newer than the one that downloaded it
 *   (updatedBy) and calls back with OtaJobEventStartTest. The application tests itself and
 *   accepts the image (OTA_SetImageState( OtaImageStateAccepted )); the job becomes SUCCEEDED.
 *
 * DIR is prepared by scripts/demo-local.sh:
 *   DIR/cloud/firmware.bin    the update the cloud offers (the stream's file)
 *   DIR/cloud/firmware.sig    its DER ECDSA P-256 / SHA-256 signature (the code-signing step)
 *   DIR/trust/signer.pem      the code-signing certificate, provisioned on the device (the
 *                             PAL's trust store; the job's "certfile" names it: "signer.pem")
 * and written while it runs:
 *   DIR/device/firmware.bin   the downloaded image (the PAL's image folder is DIR/device; the
 *                             job's "filepath" is "firmware.bin")
 *   DIR/device/PlatformImageState.txt   the PAL's image state (OTA_PAL_POSIX_STATE_DIR)
 *   DIR/cloud/job-state.txt   the cloud's job execution, which outlives the device's reboot
 *
 * Exit status: 0 once the new image is accepted and verified (the cloud recorded SUCCEEDED, the
 * platform image state is Valid and the installed file equals the cloud's); 1 on any failure;
 * 2 for bad arguments; 3 when the time limit (default 60 s, over both boots) runs out. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_os_posix.h"
#include "ota_pal_posix.h"

#include "cloud_sim.h"
#include "ota_event_pool.h"
#include "ota_mqtt_glue.h"

#define DEMO_THING_NAME        "ota-demo-device"
#define DEMO_JOB_ID            "AFR_OTA-demo-1"
#define DEMO_STREAM_NAME       "AFR_OTA-demo-stream"
#define DEFAULT_TIMEOUT_S      60U
#define SHUTDOWN_WAIT_MS       5000U
#define SETTLE_WAIT_MS         3000U
#define TIME_LIMIT_SLACK_S     10U
#define PATH_SIZE              256U

/* ---- The application's buffers for the agent --------------------------------------------- */

static uint8_t updateFilePath[ PATH_SIZE ];
static uint8_t certFilePath[ PATH_SIZE ];
static uint8_t streamName[ 129 ];
static uint8_t decodeMemory[ OTA_FILE_BLOCK_SIZE ];
static uint8_t fileBitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];

static OtaAppBuffer_t otaBuffers =
{
    .pUpdateFilePath = updateFilePath,
    .updateFilePathsize = sizeof( updateFilePath ),
    .pCertFilePath = certFilePath,
    .certFilePathSize = sizeof( certFilePath ),
    .pStreamName = streamName,
    .streamNameSize = sizeof( streamName ),
    .pDecodeMemory = decodeMemory,
    .decodeMemorySize = sizeof( decodeMemory ),
    .pFileBitmap = fileBitmap,
    .fileBitmapSize = sizeof( fileBitmap ),
    .pUrl = NULL, /* no HTTP data plane in this example */
    .urlSize = 0,
    .pAuthScheme = NULL,
    .authSchemeSize = 0,
};

static OtaInterfaces_t otaInterfaces;

/* ---- What the application callback reports to main() ------------------------------------- */

typedef enum DemoOutcome
{
    OutcomeNone,
    OutcomeActivated, /* new image downloaded, verified and activated: reboot into it */
    OutcomeAccepted,  /* new image passed its self test and was accepted */
    OutcomeFailed,
    OutcomeTimedOut
} DemoOutcome_t;

static pthread_mutex_t outcomeLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t outcomeSet = PTHREAD_COND_INITIALIZER;
static DemoOutcome_t outcome = OutcomeNone;

static void setOutcome( DemoOutcome_t value )
{
    pthread_mutex_lock( &outcomeLock );

    if( outcome == OutcomeNone )
    {
        outcome = value;
    }

    pthread_cond_broadcast( &outcomeSet );
    pthread_mutex_unlock( &outcomeLock );
}

/* ---- Time limit --------------------------------------------------------------------------- */

static struct timespec deadline; /* CLOCK_MONOTONIC */

static void onTimeout( int signalNumber )
{
    static const char message[] = "device: time limit reached; giving up\n";

    ( void ) signalNumber;
    ( void ) write( STDOUT_FILENO, message, sizeof( message ) - 1U );
    _exit( 3 );
}

/* One limit for the whole update. The waits below stop at `deadline` and shut down in order; an
 * alarm TIME_LIMIT_SLACK_S later ends the process if that hangs. The alarm survives exec(), so
 * the new image inherits what is left of both. */
static void startTimeLimit( unsigned int seconds )
{
    unsigned int alarmLeft = alarm( 0 );
    unsigned int left;

    if( alarmLeft == 0U )
    {
        alarmLeft = seconds + TIME_LIMIT_SLACK_S; /* first boot */
    }

    left = ( alarmLeft > TIME_LIMIT_SLACK_S ) ? ( alarmLeft - TIME_LIMIT_SLACK_S ) : 0U;
    ( void ) signal( SIGALRM, onTimeout );
    ( void ) alarm( alarmLeft );
    ( void ) clock_gettime( CLOCK_MONOTONIC, &deadline );
    deadline.tv_sec += ( time_t ) left;
}

static bool pastDeadline( void )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_MONOTONIC, &t );

    return ( t.tv_sec > deadline.tv_sec ) ||
           ( ( t.tv_sec == deadline.tv_sec ) && ( t.tv_nsec >= deadline.tv_nsec ) );
}

static void sleepMs( uint32_t ms )
{
    struct timespec t = { ( time_t ) ( ms / 1000U ), ( long ) ( ms % 1000U ) * 1000000L };

    ( void ) nanosleep( &t, NULL );
}

/* ---- Printing ----------------------------------------------------------------------------- */

static const char * palStateName( OtaPalImageState_t state )
{
    switch( state )
    {
        case OtaPalImageStateValid: return "Valid";
        case OtaPalImageStatePendingCommit: return "PendingCommit";
        case OtaPalImageStateInvalid: return "Invalid";
        default: return "Unknown";
    }
}

static void printVersion( const char * pPrefix )
{
    printf( "%sv%u.%u.%u", pPrefix, ( unsigned ) appFirmwareVersion.u.x.major,
            ( unsigned ) appFirmwareVersion.u.x.minor, ( unsigned ) appFirmwareVersion.u.x.build );
}

static void printStatistics( void )
{
    OtaAgentStatistics_t agent = { 0 };
    OtaMqttGlueStats_t glue;
    CloudSimJob_t job;

    ( void ) OTA_GetStatistics( &agent );
    OtaMqttGlue_GetStats( &glue );
    CloudSim_GetJob( &job );
    printf( "device: agent packets received %" PRIu32 ", queued %" PRIu32 ", processed %" PRIu32
            ", dropped %" PRIu32 "; job documents %" PRIu32 ", blocks %" PRIu32 ", dropped messages %" PRIu32 "\n",
            agent.otaPacketsReceived, agent.otaPacketsQueued, agent.otaPacketsProcessed,
            agent.otaPacketsDropped, glue.jobDocuments, glue.fileBlocks, glue.dropped );
    printf( "cloud: %" PRIu32 " GetStream requests answered with %" PRIu32 " blocks; %" PRIu32
            " job status updates\n", job.streamRequests, job.blocksServed, job.statusUpdates );
}

/* ---- The application callback ------------------------------------------------------------- */

/* The new image's self test. A product checks what it must not ship without (its peripherals,
 * its connection to the cloud, ...); here: the agent runs and the cloud is reachable. */
static bool runSelfTest( void )
{
    CloudSimJob_t job;

    CloudSim_GetJob( &job );

    return ( OTA_GetState() != OtaAgentStateStopped ) && ( job.status[ 0 ] != '\0' );
}

static void otaAppCallback( OtaJobEvent_t event,
                            const void * pData )
{
    OtaErr_t err;

    switch( event )
    {
        case OtaJobEventActivate:
            printf( "device: OtaJobEventActivate: the image is downloaded and its signature verified; activating it\n" );
            err = OTA_ActivateNewImage();

            if( err == OtaErrNone )
            {
                /* The POSIX PAL does not restart the process: that is the application's job. */
                printf( "device: OTA_ActivateNewImage: OtaErrNone; restarting into the new image\n" );
                setOutcome( OutcomeActivated );
            }
            else
            {
                printf( "device: OTA_ActivateNewImage failed: %s\n", OTA_Err_strerror( err ) );
                setOutcome( OutcomeFailed );
            }

            break;

        case OtaJobEventFail:
            printf( "device: OtaJobEventFail: the update failed\n" );
            setOutcome( OutcomeFailed );
            break;

        case OtaJobEventStartTest:
            printVersion( "device: OtaJobEventStartTest: self test of " );
            printf( "\n" );

            if( runSelfTest() )
            {
                printf( "device: self test passed; accepting the new image\n" );
                err = OTA_SetImageState( OtaImageStateAccepted );

                if( err == OtaErrNone )
                {
                    setOutcome( OutcomeAccepted );
                }
                else
                {
                    printf( "device: OTA_SetImageState( Accepted ) failed: %s\n", OTA_Err_strerror( err ) );
                    setOutcome( OutcomeFailed );
                }
            }
            else
            {
                printf( "device: self test failed; rejecting the new image\n" );
                ( void ) OTA_SetImageState( OtaImageStateRejected );
                setOutcome( OutcomeFailed );
            }

            break;

        case OtaJobEventProcessed:
            /* The agent is done with this event buffer: back to the pool. */
            OtaEventPool_Release( ( OtaEventData_t * ) pData );
            break;

        case OtaJobEventSelfTestFailed:
            printf( "device: OtaJobEventSelfTestFailed\n" );
            setOutcome( OutcomeFailed );
            break;

        default:
            printf( "device: unknown OTA job event %d\n", ( int ) event );
            break;
    }
}

/* ---- The agent ---------------------------------------------------------------------------- */

static void setOtaInterfaces( void )
{
    /* OS: the POSIX port in libota.a. */
    otaInterfaces.os.event.init = Posix_OtaInitEvent;
    otaInterfaces.os.event.send = Posix_OtaSendEvent;
    otaInterfaces.os.event.recv = Posix_OtaReceiveEvent;
    otaInterfaces.os.event.deinit = Posix_OtaDeinitEvent;
    otaInterfaces.os.timer.start = Posix_OtaStartTimer;
    otaInterfaces.os.timer.stop = Posix_OtaStopTimer;
    otaInterfaces.os.timer.delete = Posix_OtaDeleteTimer;
    otaInterfaces.os.mem.malloc = STDC_Malloc;
    otaInterfaces.os.mem.free = STDC_Free;

    /* MQTT: the glue on this device's transport. */
    OtaMqttGlue_Interface( &otaInterfaces.mqtt );

    /* PAL: the POSIX PAL in libota.a. */
    otaInterfaces.pal.getPlatformImageState = otaPal_GetPlatformImageState;
    otaInterfaces.pal.setPlatformImageState = otaPal_SetPlatformImageState;
    otaInterfaces.pal.writeBlock = otaPal_WriteBlock;
    otaInterfaces.pal.activate = otaPal_ActivateNewImage;
    otaInterfaces.pal.closeFile = otaPal_CloseFile;
    otaInterfaces.pal.reset = otaPal_ResetDevice;
    otaInterfaces.pal.abort = otaPal_Abort;
    otaInterfaces.pal.createFile = otaPal_CreateFileForRx;
}

static void * agentTask( void * pArgument )
{
    ( void ) pArgument;
    OTA_EventProcessingTask( NULL ); /* returns once the agent is stopped */

    return NULL;
}

/* Waits for the application callback's verdict, the cloud ending the job otherwise, or the
 * deadline. */
static DemoOutcome_t waitForOutcome( void )
{
    DemoOutcome_t result = OutcomeNone;

    while( result == OutcomeNone )
    {
        struct timespec t;
        CloudSimJob_t job;

        ( void ) clock_gettime( CLOCK_REALTIME, &t );
        t.tv_nsec += 200L * 1000000L;

        if( t.tv_nsec >= 1000000000L )
        {
            t.tv_sec += 1;
            t.tv_nsec -= 1000000000L;
        }

        pthread_mutex_lock( &outcomeLock );

        if( outcome == OutcomeNone )
        {
            ( void ) pthread_cond_timedwait( &outcomeSet, &outcomeLock, &t );
        }

        result = outcome;
        pthread_mutex_unlock( &outcomeLock );

        CloudSim_GetJob( &job );

        if( ( result == OutcomeNone ) && job.done && ( strcmp( job.status, "SUCCEEDED" ) != 0 ) )
        {
            printf( "device: the cloud ended the job as %s\n", job.status );
            result = OutcomeFailed;
        }
        else if( ( result == OutcomeNone ) && pastDeadline() )
        {
            printf( "device: time limit reached while waiting for the update\n" );
            result = OutcomeTimedOut;
        }
    }

    return result;
}

/* After acceptance: the cloud has recorded SUCCEEDED and announced that nothing more is
 * pending, and the agent has processed that announcement (every event buffer is back). */
static bool waitForJobDone( void )
{
    for( uint32_t waited = 0; waited < SETTLE_WAIT_MS; waited += 50U )
    {
        CloudSimJob_t job;

        CloudSim_GetJob( &job );

        /* The agent hands a job document's buffer back once it has handled the document. */
        if( job.done && ( job.noJobAnswers > 0U ) && ( OtaEventPool_InUse() == 0U ) )
        {
            return strcmp( job.status, "SUCCEEDED" ) == 0;
        }

        sleepMs( 50U );
    }

    return false;
}

static bool stopAgent( pthread_t agentThread )
{
    ( void ) OTA_Shutdown( 0 );

    for( uint32_t waited = 0; waited < SHUTDOWN_WAIT_MS; waited += 10U )
    {
        if( OTA_GetState() == OtaAgentStateStopped )
        {
            ( void ) pthread_join( agentThread, NULL );
            printf( "device: OTA agent stopped\n" );
            return true;
        }

        sleepMs( 10U );
    }

    printf( "device: the OTA agent did not stop within %u ms\n", SHUTDOWN_WAIT_MS );

    return false;
}

/* ---- Boot, reboot, check ------------------------------------------------------------------ */

/* The POSIX way to restart into the new image: exec() it, with the same arguments. Returns
 * only on failure. */
static void rebootInto( const char * pImagePath,
                        char ** argv )
{
    printf( "device: ==== rebooting into %s ====\n", pImagePath );

    if( chmod( pImagePath, 0755 ) != 0 )
    {
        printf( "device: cannot make %s executable: %s\n", pImagePath, strerror( errno ) );
        return;
    }

    argv[ 0 ] = ( char * ) pImagePath;
    fflush( stdout );
    ( void ) execv( pImagePath, argv );
    printf( "device: cannot start %s: %s\n", pImagePath, strerror( errno ) );
}

static bool filesEqual( const char * pPathA,
                        const char * pPathB,
                        long * pSize )
{
    FILE * a = fopen( pPathA, "rb" );
    FILE * b = fopen( pPathB, "rb" );
    bool equal = ( a != NULL ) && ( b != NULL );
    long size = 0;

    /* Bounded by the files' sizes. */
    while( equal )
    {
        uint8_t bufferA[ 4096 ];
        uint8_t bufferB[ 4096 ];
        size_t n = fread( bufferA, 1, sizeof( bufferA ), a );
        size_t m = fread( bufferB, 1, sizeof( bufferB ), b );

        equal = ( n == m ) && ( memcmp( bufferA, bufferB, n ) == 0 ) && !ferror( a ) && !ferror( b );
        size += ( long ) n;

        if( n < sizeof( bufferA ) )
        {
            break;
        }
    }

    if( a != NULL )
    {
        ( void ) fclose( a );
    }

    if( b != NULL )
    {
        ( void ) fclose( b );
    }

    *pSize = size;

    return equal;
}

/* The demo's own check that the update really happened (not device code). */
static bool verifyUpdate( const char * pInstalled,
                          const char * pOffered )
{
    CloudSimJob_t job;
    OtaPalImageState_t state = otaPal_GetPlatformImageState( NULL );
    long size = 0;
    bool same = filesEqual( pInstalled, pOffered, &size );

    CloudSim_GetJob( &job );
    printf( "device: check: cloud job %s %s\n", DEMO_JOB_ID, job.status );
    printf( "device: check: platform image state %s\n", palStateName( state ) );
    printf( "device: check: %s %s %s (%ld bytes)\n", pInstalled, same ? "==" : "differs from", pOffered, size );

    return ( strcmp( job.status, "SUCCEEDED" ) == 0 ) && ( state == OtaPalImageStateValid ) && same;
}

static void usage( const char * pProgram )
{
    printf( "usage: %s --dir DIR [--timeout SECONDS]\n"
            "  DIR/cloud/firmware.bin, DIR/cloud/firmware.sig and DIR/trust/signer.pem must exist;\n"
            "  scripts/demo-local.sh prepares them and runs this program.\n", pProgram );
}

int main( int argc,
          char ** argv )
{
    const char * pDir = NULL;
    unsigned long timeoutSeconds = DEFAULT_TIMEOUT_S;
    static char cloudImage[ PATH_SIZE ], cloudSignature[ PATH_SIZE ], cloudState[ PATH_SIZE ];
    static char deviceDir[ PATH_SIZE ], deviceImage[ PATH_SIZE ], trustDir[ PATH_SIZE ];
    CloudSimConfig_t cloudConfig;
    MqttTransport_t transport;
    OtaPalImageState_t bootState;
    pthread_t agentThread;
    OtaEventMsg_t startEvent = { 0 };
    DemoOutcome_t result;
    OtaErr_t err;
    bool ok;
    int n = 0;

    /* Line by line, also into a pipe, so nothing is lost at exec() and lines stay in order. */
    setvbuf( stdout, NULL, _IOLBF, 0 );

    for( int i = 1; i < argc; i++ )
    {
        if( ( strcmp( argv[ i ], "--dir" ) == 0 ) && ( ( i + 1 ) < argc ) )
        {
            pDir = argv[ ++i ];
        }
        else if( ( strcmp( argv[ i ], "--timeout" ) == 0 ) && ( ( i + 1 ) < argc ) )
        {
            timeoutSeconds = strtoul( argv[ ++i ], NULL, 10 );
        }
        else
        {
            usage( argv[ 0 ] );
            return 2;
        }
    }

    if( ( pDir == NULL ) || ( timeoutSeconds == 0U ) || ( timeoutSeconds > 3600U ) )
    {
        usage( argv[ 0 ] );
        return 2;
    }

    n |= snprintf( cloudImage, PATH_SIZE, "%s/cloud/firmware.bin", pDir ) >= ( int ) PATH_SIZE;
    n |= snprintf( cloudSignature, PATH_SIZE, "%s/cloud/firmware.sig", pDir ) >= ( int ) PATH_SIZE;
    n |= snprintf( cloudState, PATH_SIZE, "%s/cloud/job-state.txt", pDir ) >= ( int ) PATH_SIZE;
    n |= snprintf( deviceDir, PATH_SIZE, "%s/device", pDir ) >= ( int ) PATH_SIZE;
    n |= snprintf( deviceImage, PATH_SIZE, "%s/device/firmware.bin", pDir ) >= ( int ) PATH_SIZE;
    n |= snprintf( trustDir, PATH_SIZE, "%s/trust", pDir ) >= ( int ) PATH_SIZE;

    if( n != 0 )
    {
        printf( "device: DIR is too long (paths must fit in %u bytes)\n", PATH_SIZE );
        return 2;
    }

    startTimeLimit( ( unsigned int ) timeoutSeconds );

    /* The PAL keeps the image state in the device's folder. */
    ( void ) setenv( "OTA_PAL_POSIX_STATE_DIR", deviceDir, 1 );

    /* The device, not the job, decides where images go and which signer it trusts. */
    if( ( otaPal_PosixSetImageDir( deviceDir ) != OtaPalSuccess ) ||
        ( otaPal_PosixSetTrustStore( trustDir ) != OtaPalSuccess ) )
    {
        printf( "device: cannot use %s as image folder and %s as trust store\n", deviceDir, trustDir );
        return 1;
    }

    bootState = otaPal_GetPlatformImageState( NULL );
    printVersion( "device: ==== boot: firmware " );
    printf( ", platform image state %s ====\n", palStateName( bootState ) );

    /* "Connect to AWS IoT": start the simulated cloud and get a transport to it. With a real
     * broker, this is where the MQTT client connects. */
    cloudConfig = ( CloudSimConfig_t ) {
        .pThingName = DEMO_THING_NAME,
        .pJobId = DEMO_JOB_ID,
        .pStreamName = DEMO_STREAM_NAME,
        .pImagePath = cloudImage,
        .pSignaturePath = cloudSignature,
        .pDeviceFilePath = "firmware.bin",
        .pDeviceCertPath = "signer.pem",
        .pStatePath = cloudState,
    };

    if( !CloudSim_Start( &cloudConfig ) ||
        !CloudSim_Connect( OtaMqttGlue_Receive, NULL, &transport ) )
    {
        printf( "device: cannot connect to the cloud\n" );
        return 1;
    }

    printf( "device: connected as %s\n", DEMO_THING_NAME );
    OtaMqttGlue_Init( &transport );

    /* Start the agent. */
    setOtaInterfaces();
    err = OTA_Init( &otaBuffers, &otaInterfaces, ( const uint8_t * ) DEMO_THING_NAME, otaAppCallback );

    if( err != OtaErrNone )
    {
        printf( "device: OTA_Init failed: %s\n", OTA_Err_strerror( err ) );
        return 1;
    }

    if( pthread_create( &agentThread, NULL, agentTask, NULL ) != 0 )
    {
        printf( "device: cannot start the OTA agent task\n" );
        return 1;
    }

    /* The agent task waits for this first event (as with v2.0.0, the application sends it). */
    printf( "device: starting the OTA agent\n" );
    startEvent.eventId = OtaAgentEventStart;

    if( !OTA_SignalEvent( &startEvent ) )
    {
        printf( "device: cannot start the OTA agent\n" );
        return 1;
    }

    result = waitForOutcome();

    if( result == OutcomeAccepted )
    {
        ok = waitForJobDone();
        printf( "device: %s\n", ok ? "the cloud recorded SUCCEEDED and has no further job"
                                   : "the cloud did not confirm the job as SUCCEEDED" );
        result = ok ? OutcomeAccepted : OutcomeFailed;
    }

    /* Orderly stop, as before any reboot: agent, connection, (simulated) cloud. */
    ok = stopAgent( agentThread );
    CloudSim_Disconnect();
    CloudSim_Stop();
    printStatistics();

    if( !ok )
    {
        return 1;
    }

    if( result == OutcomeActivated )
    {
        rebootInto( deviceImage, argv );
        return 1;
    }

    if( ( result == OutcomeAccepted ) && verifyUpdate( deviceImage, cloudImage ) )
    {
        printVersion( "device: ==== update complete: running " );
        printf( ", image accepted ====\n" );
        return 0;
    }

    printf( "device: ==== update FAILED%s ====\n", ( result == OutcomeTimedOut ) ? " (time limit)" : "" );

    return ( result == OutcomeTimedOut ) ? 3 : 1;
}
