/* ota-rs Linux device: an OTA-updatable Linux program on libota.a, libmosquitto and libcurl.
 * SPDX-License-Identifier: MIT
 *
 *   linux_device --endpoint HOST [--port 8883] --root-ca CA.pem --cert THING.pem --key THING.key
 *                --thing NAME --device-dir DIR [--run-seconds S] [--updates N]
 *                [--fail-self-test VERSION] [--resume-every K]
 *
 * DIR holds what the device keeps across reboots: images/ (the POSIX PAL's image folder: a job's
 * "filepath" is a plain path inside it), trust/ (its trust store: a job's "certfile" names a
 * code-signing certificate there) and PlatformImageState.txt.
 *
 * A boot: connect, start the OTA agent, wait for jobs. A downloaded and verified image is
 * "booted" by exec()ing it with the same arguments; the new image finds its image state
 * PendingCommit, runs its self test and accepts (SUCCEEDED) or rejects it (FAILED), and after
 * a rejection rolls back by exec()ing the image that installed it. A lost broker connection
 * suspends the agent (OTA_Suspend); the reconnect resumes it (OTA_Resume).
 *
 * Resume across reboot (ota_ext.h, not part of v2.0.0) is opt-in: --resume-every K (or the
 * environment variable OTA_RESUME_EVERY=K) registers the POSIX PAL's record file and reopen
 * hook, so a device killed mid-download asks only for the blocks it still needs after it
 * restarts; the record is saved every K blocks. It also prints the library's Info records.
 * Without it the device is a plain v2.0.0 application.
 *
 * Exit status: 0 after --updates accepted updates or a stop by SIGTERM/SIGINT; 1 on an error
 * (unreachable endpoint, refused certificate, ...); 2 for bad arguments; 3 at --run-seconds. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_ext.h"
#include "ota_os_posix.h"
#include "ota_pal_posix.h"

#include "device.h"

#define PATH_SIZE            512U
#define CONNECT_WAIT_MS      10000U
#define SHUTDOWN_WAIT_MS     5000U
#define TICK_MS              100U
#define JOB_ANSWER_WAIT_MS   10000U
#define ENV_UPDATES          "OTA_LINUX_DEVICE_UPDATES"
#define ENV_PREVIOUS         "OTA_LINUX_DEVICE_PREVIOUS_IMAGE"
#define ENV_RESUME_EVERY     "OTA_RESUME_EVERY"
#define RESUME_EVERY_MAX     100000UL

/* ---- The agent's buffers ---- */

static uint8_t updateFilePath[ PATH_SIZE ];
static uint8_t certFilePath[ PATH_SIZE ];
static uint8_t streamName[ 129 ];
static uint8_t decodeMemory[ OTA_FILE_BLOCK_SIZE ];
static uint8_t fileBitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];
static uint8_t urlBuffer[ 2048 ];
static uint8_t authScheme[ 64 ];

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
    .pUrl = urlBuffer,
    .urlSize = sizeof( urlBuffer ),
    .pAuthScheme = authScheme,
    .authSchemeSize = sizeof( authScheme ),
};

static OtaInterfaces_t otaInterfaces;

/* ---- Resume across reboot (opt-in) ---- */

static uint8_t resumeRecord[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];
static OtaResumeInterface_t resumeInterface =
{
    .save = otaPal_PosixResumeSave,
    .load = otaPal_PosixResumeLoad,
    .erase = otaPal_PosixResumeErase,
    .reopenFile = otaPal_ReopenFileForRx,
    .flushFile = otaPal_FlushFile,
    .pRecordBuffer = resumeRecord,
    .recordBufferSize = sizeof( resumeRecord ),
};

/* The library's Info records (ota_config.h's LogInfo) are printed only with resume on, so its
 * "Resuming the download" line shows; the per-block and per-event lines would bury the rest. */
static volatile bool infoLogs;

void device_log_info( const char * pFormat,
                      ... )
{
    char text[ 512 ];
    va_list args;

    if( !infoLogs )
    {
        return;
    }

    va_start( args, pFormat );
    ( void ) vsnprintf( text, sizeof( text ), pFormat, args );
    va_end( args );

    if( ( strncmp( text, "Current state=", 14 ) == 0 ) || ( strncmp( text, "Received block ", 15 ) == 0 ) )
    {
        return;
    }

    flockfile( stdout );
    device_log_prefix();
    printf( "[OTA] INFO  %s\n", text );
    funlockfile( stdout );
}

/* ---- What the callback tells the main loop ---- */

typedef enum Outcome
{
    OutcomeNone,
    OutcomeActivated,
    OutcomeAccepted,
    OutcomeRejected,
    OutcomeFailed
} Outcome_t;

static pthread_mutex_t outcomeLock = PTHREAD_MUTEX_INITIALIZER;
static Outcome_t outcome = OutcomeNone;
static volatile sig_atomic_t stopRequested;
static char failSelfTestOf[ 32 ];
static char versionText[ 32 ];
static char activatedImage[ 512 ]; /* the job's file path, kept: shutdown clears the agent's */

static void setOutcome( Outcome_t value )
{
    pthread_mutex_lock( &outcomeLock );
    outcome = value;
    pthread_mutex_unlock( &outcomeLock );
}

static Outcome_t takeOutcome( void )
{
    Outcome_t value;

    pthread_mutex_lock( &outcomeLock );
    value = outcome;
    outcome = OutcomeNone;
    pthread_mutex_unlock( &outcomeLock );

    return value;
}

static void sleepMs( uint32_t ms )
{
    struct timespec t = { ( time_t ) ( ms / 1000U ), ( long ) ( ms % 1000U ) * 1000000L };

    ( void ) nanosleep( &t, NULL );
}

static double nowSeconds( void )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_MONOTONIC, &t );

    return ( double ) t.tv_sec + ( ( double ) t.tv_nsec / 1e9 );
}

/* ---- Progress: a bar on a terminal, a line every quarter otherwise ---- */

static pthread_mutex_t progressLock = PTHREAD_MUTEX_INITIALIZER;
static bool onTerminal;
static bool barShown;
static char progressJob[ 80 ];
static uint32_t fileSize;
static uint32_t blocksSeen;
static double downloadStart;
static uint32_t lastQuarter;
static uint32_t jobMessages; /* job documents seen, to notice a Jobs service that never answers */

void device_log_prefix( void )
{
    /* Called with stdout locked: take the bar off the line before a log line. */
    if( barShown )
    {
        fputs( "\r\033[K", stdout );
        barShown = false;
    }
}

void DeviceProgress_JobDocument( const uint8_t * pDoc,
                                 size_t length )
{
    char doc[ 4096 ];
    const char * p;
    char job[ 80 ] = "";
    size_t n = ( length < ( sizeof( doc ) - 1U ) ) ? length : ( sizeof( doc ) - 1U );

    /* Only for the progress display: the agent parses the document itself. */
    memcpy( doc, pDoc, n );
    doc[ n ] = '\0';
    p = strstr( doc, "\"jobId\":\"" );

    if( p != NULL )
    {
        ( void ) sscanf( p + 9, "%79[^\"]", job );
    }

    pthread_mutex_lock( &progressLock );
    jobMessages++;

    if( ( job[ 0 ] != '\0' ) && ( strcmp( job, progressJob ) != 0 ) )
    {
        memcpy( progressJob, job, sizeof( job ) );
        p = strstr( doc, "\"filesize\":" );
        fileSize = ( p != NULL ) ? ( uint32_t ) strtoul( p + 11, NULL, 10 ) : 0U;
        blocksSeen = 0;
        lastQuarter = 0;
        downloadStart = 0;
    }

    pthread_mutex_unlock( &progressLock );
}

void DeviceProgress_Block( size_t bytes )
{
    ( void ) bytes;
    pthread_mutex_lock( &progressLock );

    if( blocksSeen == 0U )
    {
        downloadStart = nowSeconds();
    }

    blocksSeen++;
    pthread_mutex_unlock( &progressLock );
}

static uint32_t jobMessagesSeen( void )
{
    uint32_t n;

    pthread_mutex_lock( &progressLock );
    n = jobMessages;
    pthread_mutex_unlock( &progressLock );

    return n;
}

static void showProgress( void )
{
    uint32_t total, seen;
    double start;

    pthread_mutex_lock( &progressLock );
    total = ( fileSize + OTA_FILE_BLOCK_SIZE - 1U ) / OTA_FILE_BLOCK_SIZE;
    seen = blocksSeen;
    start = downloadStart;
    pthread_mutex_unlock( &progressLock );

    if( ( total == 0U ) || ( seen == 0U ) )
    {
        return;
    }

    /* Duplicates count as seen; the bar never runs past the end. */
    seen = ( seen > total ) ? total : seen;
    uint32_t percent = ( seen * 100U ) / total;
    double elapsed = nowSeconds() - start;
    double kibs = ( elapsed > 0.0 ) ? ( ( double ) seen * OTA_FILE_BLOCK_SIZE / 1024.0 / elapsed ) : 0.0;

    flockfile( stdout );

    if( onTerminal )
    {
        char bar[ 31 ];
        uint32_t filled = ( percent * 30U ) / 100U;

        for( uint32_t i = 0; i < 30U; i++ )
        {
            bar[ i ] = ( i < filled ) ? '#' : '-';
        }

        bar[ 30 ] = '\0';
        printf( "\r\033[K[%s] %3u%%  %u/%u blocks  %.1f KiB/s", bar, ( unsigned ) percent,
                ( unsigned ) seen, ( unsigned ) total, kibs );
        fflush( stdout );
        barShown = true;
    }
    else if( ( percent / 25U ) > lastQuarter )
    {
        lastQuarter = percent / 25U;
        printf( "device: download %u%% (%u/%u blocks, %.1f KiB/s)\n", ( unsigned ) percent,
                ( unsigned ) seen, ( unsigned ) total, kibs );
    }

    funlockfile( stdout );
}

/* ---- The application callback (agent task) ---- */

static bool runSelfTest( void )
{
    uint32_t epoch;

    /* What this firmware must not ship without: here, the cloud connection; --fail-self-test
     * makes the named version fail, to exercise rollback. */
    if( strcmp( failSelfTestOf, versionText ) == 0 )
    {
        printf( "device: self test of v%s fails (--fail-self-test)\n", versionText );
        return false;
    }

    return DeviceMqtt_IsConnected( &epoch );
}

static void otaAppCallback( OtaJobEvent_t event,
                            const void * pData )
{
    OtaErr_t err;

    switch( event )
    {
        case OtaJobEventActivate:
            printf( "device: image downloaded and its signature verified; activating it\n" );
            ( void ) snprintf( activatedImage, sizeof( activatedImage ), "%s", ( const char * ) updateFilePath );
            err = OTA_ActivateNewImage();
            setOutcome( ( err == OtaErrNone ) ? OutcomeActivated : OutcomeFailed );
            break;

        case OtaJobEventFail:
            printf( "device: the update failed\n" );
            setOutcome( OutcomeFailed );
            break;

        case OtaJobEventStartTest:
            printf( "device: self test of v%s\n", versionText );

            if( runSelfTest() )
            {
                err = OTA_SetImageState( OtaImageStateAccepted );
                printf( "device: self test passed; image %s\n", ( err == OtaErrNone ) ? "accepted" : OTA_Err_strerror( err ) );
                setOutcome( ( err == OtaErrNone ) ? OutcomeAccepted : OutcomeFailed );
            }
            else
            {
                ( void ) OTA_SetImageState( OtaImageStateRejected );
                printf( "device: self test failed; image rejected\n" );
                setOutcome( OutcomeRejected );
            }

            break;

        case OtaJobEventProcessed:
            DeviceEvents_Release( ( OtaEventData_t * ) pData );
            break;

        case OtaJobEventSelfTestFailed:
            printf( "device: self test failed (reported by the agent)\n" );
            setOutcome( OutcomeRejected );
            break;

        default:
            break;
    }
}

/* ---- Agent ---- */

static void setInterfaces( void )
{
    otaInterfaces.os.event.init = Posix_OtaInitEvent;
    otaInterfaces.os.event.send = Posix_OtaSendEvent;
    otaInterfaces.os.event.recv = Posix_OtaReceiveEvent;
    otaInterfaces.os.event.deinit = Posix_OtaDeinitEvent;
    otaInterfaces.os.timer.start = Posix_OtaStartTimer;
    otaInterfaces.os.timer.stop = Posix_OtaStopTimer;
    otaInterfaces.os.timer.delete = Posix_OtaDeleteTimer;
    otaInterfaces.os.mem.malloc = STDC_Malloc;
    otaInterfaces.os.mem.free = STDC_Free;

    DeviceMqtt_Interface( &otaInterfaces.mqtt );
    DeviceHttp_Interface( &otaInterfaces.http );

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
    OTA_EventProcessingTask( NULL );

    return NULL;
}

static void stopAgent( pthread_t agentThread )
{
    DeviceEvents_Close();
    ( void ) OTA_Shutdown( 0 );

    /* Bounded wait for the agent task to see the shutdown. */
    for( uint32_t waited = 0; waited < SHUTDOWN_WAIT_MS; waited += 10U )
    {
        if( OTA_GetState() == OtaAgentStateStopped )
        {
            ( void ) pthread_join( agentThread, NULL );
            return;
        }

        sleepMs( 10U );
    }

    printf( "device: the OTA agent did not stop within %u ms\n", SHUTDOWN_WAIT_MS );
}

/* ---- Reboot ---- */

static void onSignal( int signalNumber )
{
    ( void ) signalNumber;
    stopRequested = 1;
}

static void onAlarm( int signalNumber )
{
    static const char message[] = "device: --run-seconds reached; stopping\n";

    ( void ) signalNumber;
    ( void ) write( STDOUT_FILENO, message, sizeof( message ) - 1U );
    _exit( 3 );
}

/* exec() keeps the pending alarm, so one --run-seconds covers every reboot. */
static void startRunLimit( unsigned int seconds )
{
    unsigned int left = alarm( 0 );

    ( void ) signal( SIGALRM, onAlarm );
    ( void ) alarm( ( left != 0U ) ? left : seconds );
}

static void execImage( const char * pImage,
                       char ** argv )
{
    char self[ PATH_MAX ];
    ssize_t n = readlink( "/proc/self/exe", self, sizeof( self ) - 1U );

    if( n > 0 )
    {
        self[ n ] = '\0';
        ( void ) setenv( ENV_PREVIOUS, self, 1 );
    }

    if( chmod( pImage, 0755 ) != 0 )
    {
        printf( "device: cannot make %s executable: %s\n", pImage, strerror( errno ) );
        return;
    }

    argv[ 0 ] = ( char * ) pImage;
    fflush( stdout );
    ( void ) execv( pImage, argv );
    printf( "device: cannot start %s: %s\n", pImage, strerror( errno ) );
}

static void usage( const char * pProgram )
{
    printf( "usage: %s --endpoint HOST [--port 8883] --root-ca CA.pem --cert THING.pem --key THING.key\n"
            "       --thing NAME --device-dir DIR [--run-seconds S] [--updates N] [--fail-self-test VERSION]\n"
            "       [--resume-every K]   (or OTA_RESUME_EVERY=K: resume across reboot, a record every K blocks)\n",
            pProgram );
}

static bool makeDir( const char * pPath )
{
    return ( mkdir( pPath, 0755 ) == 0 ) || ( errno == EEXIST );
}

int main( int argc,
          char ** argv )
{
    DeviceMqttConfig_t mqtt = { .port = 8883 };
    const char * pDeviceDir = NULL;
    unsigned long runSeconds = 600UL;
    unsigned long updatesWanted = 0UL;
    unsigned long updatesDone;
    const char * pResumeEvery = getenv( ENV_RESUME_EVERY );
    unsigned long resumeEvery = 0UL;
    static char imageDir[ PATH_SIZE ], trustDir[ PATH_SIZE ];
    pthread_t agentThread;
    OtaEventMsg_t start = { 0 };
    OtaErr_t err;
    uint32_t epoch = 0, seenEpoch;
    bool suspended = false;
    int status = 0;
    uint32_t quietMs = 0;

    setvbuf( stdout, NULL, _IOLBF, 0 );
    onTerminal = isatty( STDOUT_FILENO ) != 0;
    ( void ) snprintf( versionText, sizeof( versionText ), "%u.%u.%u", ( unsigned ) appFirmwareVersion.u.x.major,
                       ( unsigned ) appFirmwareVersion.u.x.minor, ( unsigned ) appFirmwareVersion.u.x.build );

    for( int i = 1; i < argc; i++ )
    {
        const char * pValue = ( ( i + 1 ) < argc ) ? argv[ i + 1 ] : NULL;
        const char * pKey = argv[ i ];

        if( pValue == NULL )
        {
            usage( argv[ 0 ] );
            return 2;
        }

        i++;

        if( strcmp( pKey, "--endpoint" ) == 0 ) { mqtt.pEndpoint = pValue; }
        else if( strcmp( pKey, "--port" ) == 0 ) { mqtt.port = atoi( pValue ); }
        else if( strcmp( pKey, "--root-ca" ) == 0 ) { mqtt.pRootCa = pValue; }
        else if( strcmp( pKey, "--cert" ) == 0 ) { mqtt.pCert = pValue; }
        else if( strcmp( pKey, "--key" ) == 0 ) { mqtt.pKey = pValue; }
        else if( strcmp( pKey, "--thing" ) == 0 ) { mqtt.pThingName = pValue; }
        else if( strcmp( pKey, "--device-dir" ) == 0 ) { pDeviceDir = pValue; }
        else if( strcmp( pKey, "--run-seconds" ) == 0 ) { runSeconds = strtoul( pValue, NULL, 10 ); }
        else if( strcmp( pKey, "--updates" ) == 0 ) { updatesWanted = strtoul( pValue, NULL, 10 ); }
        else if( strcmp( pKey, "--fail-self-test" ) == 0 ) { ( void ) snprintf( failSelfTestOf, sizeof( failSelfTestOf ), "%s", pValue ); }
        else if( strcmp( pKey, "--resume-every" ) == 0 ) { pResumeEvery = pValue; }
        else
        {
            usage( argv[ 0 ] );
            return 2;
        }
    }

    if( ( pResumeEvery != NULL ) && ( pResumeEvery[ 0 ] != '\0' ) )
    {
        char * pEnd = NULL;

        errno = 0;
        resumeEvery = strtoul( pResumeEvery, &pEnd, 10 );

        if( ( errno != 0 ) || ( *pEnd != '\0' ) || ( pResumeEvery[ 0 ] == '-' ) || ( resumeEvery == 0UL ) ||
            ( resumeEvery > RESUME_EVERY_MAX ) )
        {
            printf( "device: --resume-every / " ENV_RESUME_EVERY " must be a number of blocks from 1 to %lu, not \"%s\"\n",
                    RESUME_EVERY_MAX, pResumeEvery );
            return 2;
        }
    }

    if( ( mqtt.pEndpoint == NULL ) || ( mqtt.pRootCa == NULL ) || ( mqtt.pCert == NULL ) || ( mqtt.pKey == NULL ) ||
        ( mqtt.pThingName == NULL ) || ( pDeviceDir == NULL ) || ( mqtt.port <= 0 ) || ( mqtt.port > 65535 ) ||
        ( runSeconds == 0UL ) || ( runSeconds > 86400UL ) || ( strlen( mqtt.pThingName ) > otaconfigMAX_THINGNAME_LEN ) )
    {
        usage( argv[ 0 ] );
        return 2;
    }

    if( ( snprintf( imageDir, PATH_SIZE, "%s/images", pDeviceDir ) >= ( int ) PATH_SIZE ) ||
        ( snprintf( trustDir, PATH_SIZE, "%s/trust", pDeviceDir ) >= ( int ) PATH_SIZE ) ||
        !makeDir( pDeviceDir ) || !makeDir( imageDir ) )
    {
        printf( "device: cannot use the device folder %s\n", pDeviceDir );
        return 2;
    }

    /* The POSIX PAL's device configuration (ota_pal_posix.h): the device, not the job, says
     * where images go and which signer certificates it trusts; the image state lives beside. */
    ( void ) setenv( "OTA_PAL_POSIX_STATE_DIR", pDeviceDir, 1 );

    if( otaPal_PosixSetImageDir( imageDir ) != OtaPalSuccess )
    {
        printf( "device: cannot use the image folder %s: %s\n", imageDir, strerror( errno ) );
        return 2;
    }

    if( otaPal_PosixSetTrustStore( trustDir ) != OtaPalSuccess )
    {
        printf( "device: no trust store at %s (%s): provision the code-signing certificate there\n",
                trustDir, strerror( errno ) );
        return 2;
    }

    startRunLimit( ( unsigned int ) runSeconds );
    ( void ) signal( SIGTERM, onSignal );
    ( void ) signal( SIGINT, onSignal );
    updatesDone = ( getenv( ENV_UPDATES ) != NULL ) ? strtoul( getenv( ENV_UPDATES ), NULL, 10 ) : 0UL;

    printf( "device: boot v%s as %s, image state %s\n", versionText, mqtt.pThingName,
            ( otaPal_GetPlatformImageState( NULL ) == OtaPalImageStatePendingCommit ) ? "PendingCommit (new image: self test)" : "committed" );

    curl_global_init( CURL_GLOBAL_DEFAULT );

    if( !DeviceMqtt_Connect( &mqtt, CONNECT_WAIT_MS ) )
    {
        return 1;
    }

    printf( "device: connected to %s:%d over TLS\n", mqtt.pEndpoint, mqtt.port );
    ( void ) DeviceMqtt_IsConnected( &epoch );

    setInterfaces();
    err = OTA_Init( &otaBuffers, &otaInterfaces, ( const uint8_t * ) mqtt.pThingName, otaAppCallback );

    if( ( err == OtaErrNone ) && ( resumeEvery != 0UL ) )
    {
        /* Before the agent task starts: the first job document already sees the record. */
        resumeInterface.saveEveryBlocks = ( uint32_t ) resumeEvery;
        err = OTA_EXT_SetResume( &resumeInterface );

        if( err == OtaErrNone )
        {
            infoLogs = true;
            printf( "device: resume across reboot on: a record every %lu blocks in %s/%s\n", resumeEvery, imageDir,
                    OTA_PAL_POSIX_RESUME_FILE );
        }
    }

    if( ( err != OtaErrNone ) || ( pthread_create( &agentThread, NULL, agentTask, NULL ) != 0 ) )
    {
        printf( "device: cannot start the OTA agent: %s\n", OTA_Err_strerror( err ) );
        return 1;
    }

    start.eventId = OtaAgentEventStart;
    ( void ) OTA_SignalEvent( &start );

    /* The device's main loop; it ends by signal, by --updates, by rebooting, or by the alarm. */
    while( !stopRequested )
    {
        Outcome_t result = takeOutcome();
        bool up = DeviceMqtt_IsConnected( &seenEpoch );

        if( up && DeviceMqtt_SubscriptionRefused() && ( OTA_GetState() == OtaAgentStateWaitingForJob ) )
        {
            printf( "device: the broker refused the job topics of thing %s: wrong thing name, or a policy that does not allow it\n",
                    mqtt.pThingName );
            status = 1;
            break;
        }

        if( !up && !suspended )
        {
            printf( "device: connection lost; OTA_Suspend until it is back\n" );
            suspended = ( OTA_Suspend() == OtaErrNone );
        }
        else if( up && suspended && ( seenEpoch != epoch ) )
        {
            printf( "device: reconnected; OTA_Resume\n" );
            suspended = !( OTA_Resume() == OtaErrNone );
            epoch = seenEpoch;
        }

        /* v2.0.0 asks for its job once per connection and never again if no answer comes; with
         * AWS IoT a silent Jobs service means a thing name or policy that does not match. */
        quietMs = ( up && ( jobMessagesSeen() == 0U ) ) ? ( quietMs + TICK_MS ) : 0U;

        if( quietMs >= JOB_ANSWER_WAIT_MS )
        {
            printf( "device: no answer from the Jobs service for thing %s in %u s: is the thing name the certificate's, and does the policy allow its job topics? asking again\n",
                    mqtt.pThingName, JOB_ANSWER_WAIT_MS / 1000U );
            quietMs = 0;

            if( OTA_Suspend() == OtaErrNone )
            {
                sleepMs( 200U );
                ( void ) OTA_Resume();
            }
        }

        if( DeviceHttp_TakeUrlRefused() && !suspended )
        {
            /* v2.0.0 has no URL refresh of its own: a suspend and resume asks for the job
             * document again, and the same job's fresh document brings a new URL. */
            printf( "device: the file URL was refused (expired?); fetching the job document again\n" );

            if( OTA_Suspend() == OtaErrNone )
            {
                sleepMs( 200U );
                ( void ) OTA_Resume();
            }
        }

        if( result == OutcomeActivated )
        {
            printf( "device: rebooting into %s\n", activatedImage );
            stopAgent( agentThread );
            DeviceMqtt_Disconnect();
            {
                char image[ ( 2U * PATH_SIZE ) + 2U ];

                /* The PAL wrote the job's file path inside the image folder. */
                ( void ) snprintf( image, sizeof( image ), "%s/%s", imageDir, activatedImage );
                execImage( ( activatedImage[ 0 ] == '/' ) ? activatedImage : image, argv );
            }
            return 1;
        }

        if( result == OutcomeRejected )
        {
            const char * pPrevious = getenv( ENV_PREVIOUS );

            sleepMs( 500U ); /* lets the FAILED status reach the broker */
            stopAgent( agentThread );
            DeviceMqtt_Disconnect();

            if( pPrevious == NULL )
            {
                printf( "device: no previous image to roll back to\n" );
                return 1;
            }

            printf( "device: rolling back to %s\n", pPrevious );
            {
                static char previous[ PATH_SIZE ];

                ( void ) snprintf( previous, sizeof( previous ), "%s", pPrevious );
                execImage( previous, argv );
            }
            return 1;
        }

        if( result == OutcomeAccepted )
        {
            char count[ 16 ];

            updatesDone++;
            ( void ) snprintf( count, sizeof( count ), "%lu", updatesDone );
            ( void ) setenv( ENV_UPDATES, count, 1 );
            printf( "device: running v%s, update %lu accepted\n", versionText, updatesDone );

            if( ( updatesWanted != 0UL ) && ( updatesDone >= updatesWanted ) )
            {
                sleepMs( 1000U ); /* lets SUCCEEDED reach the broker */
                break;
            }
        }

        showProgress();
        sleepMs( TICK_MS );
    }

    stopAgent( agentThread );
    DeviceMqtt_Disconnect();
    curl_global_cleanup();
    printf( "device: stopped, running v%s, %lu update(s) accepted\n", versionText, updatesDone );

    return status;
}
