/* ota-rs c_tests: the POSIX PAL (otaPal_* in libota.a, built with OTA_PAL_POSIX=ON) through
 * its C header, as a Linux application uses it. SPDX-License-Identifier: MIT
 *
 * Keys, certificates and signatures are made when the test runs, by the openssl command line
 * (found by CMake; OTA_TEST_OPENSSL is its path): a fresh P-256 key and self-signed
 * certificate per run, and `openssl dgst -sha256 -sign` over the payload, which is exactly how
 * an AWS code-signing profile's sig-sha256-ecdsa signature is made. No key material is
 * committed. Without openssl the signature tests are skipped; the rest still run. The Rust
 * unit tests (ports/posix/pal/tests.rs) make their keys in Rust and need no openssl. */
#define _POSIX_C_SOURCE    200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota.h"
#include "ota_pal_posix.h"
#include "test_log.h"

#ifndef OTA_TEST_OPENSSL
    #define OTA_TEST_OPENSSL    ""
#endif

/* What jobs name: the image inside the PAL's image folder (g.dir/images), certificates in
 * its trust store (g.dir). */
#define IMAGE_NAME      "image.bin"

#define BLOCK_SIZE      4096U
#define PAYLOAD_SIZE    ( 5U * BLOCK_SIZE + 321U )
#define PATH_SIZE       256U

/* Everything the tests share: the scratch folder, the payload and its signature. */
static struct
{
    char dir[ PATH_SIZE ];
    char images[ PATH_SIZE ];
    char image[ PATH_SIZE ];
    char cert[ PATH_SIZE ];
    char otherCert[ PATH_SIZE ];
    uint8_t payload[ PAYLOAD_SIZE ];
    Sig256_t signature;
    int haveKeys;
} g;

static void joinPath( char * pOut,
                      const char * pName )
{
    int n = snprintf( pOut, PATH_SIZE, "%s/%s", g.dir, pName );

    assert_true( n > 0 && ( size_t ) n < PATH_SIZE );
}

static int run( const char * pFormat,
                ... )
{
    char command[ 4 * PATH_SIZE ];
    va_list args;
    int n;

    va_start( args, pFormat );
    n = vsnprintf( command, sizeof( command ), pFormat, args );
    va_end( args );

    if( ( n <= 0 ) || ( ( size_t ) n >= sizeof( command ) ) )
    {
        return -1;
    }

    return system( command );
}

/* A new P-256 key and its self-signed certificate, both PEM. */
static int makeSigner( const char * pKeyName,
                       const char * pCertName )
{
    char key[ PATH_SIZE ];
    char cert[ PATH_SIZE ];

    joinPath( key, pKeyName );
    joinPath( cert, pCertName );

    return run( "'%s' req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-subj /CN=ota-rs-c-test -days 1 -keyout '%s' -out '%s' >/dev/null 2>&1",
                OTA_TEST_OPENSSL, key, cert );
}

static int groupSetup( void ** state )
{
    char payloadPath[ PATH_SIZE ];
    char sigPath[ PATH_SIZE ];
    char key[ PATH_SIZE ];
    uint32_t x = 0x9e3779b9U;
    size_t i;
    FILE * f;

    ( void ) state;

    strcpy( g.dir, "/tmp/ota-pal-c-XXXXXX" );

    if( mkdtemp( g.dir ) == NULL )
    {
        return -1;
    }

    joinPath( g.images, "images" );
    joinPath( g.image, "images/" IMAGE_NAME );
    joinPath( g.cert, "signer.pem" );
    joinPath( g.otherCert, "other.pem" );
    setenv( "OTA_PAL_POSIX_STATE_DIR", g.dir, 1 );

    if( ( mkdir( g.images, 0700 ) != 0 ) ||
        ( otaPal_PosixSetImageDir( g.images ) != OtaPalSuccess ) ||
        ( otaPal_PosixSetTrustStore( g.dir ) != OtaPalSuccess ) )
    {
        return -1;
    }

    for( i = 0; i < PAYLOAD_SIZE; i++ )
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        g.payload[ i ] = ( uint8_t ) x;
    }

    if( OTA_TEST_OPENSSL[ 0 ] == '\0' )
    {
        return 0;
    }

    joinPath( payloadPath, "payload.bin" );
    joinPath( sigPath, "payload.sig" );
    joinPath( key, "signer.key" );
    f = fopen( payloadPath, "wb" );

    if( ( f == NULL ) || ( fwrite( g.payload, 1, PAYLOAD_SIZE, f ) != PAYLOAD_SIZE ) || ( fclose( f ) != 0 ) )
    {
        return -1;
    }

    if( ( makeSigner( "signer.key", "signer.pem" ) != 0 ) ||
        ( makeSigner( "other.key", "other.pem" ) != 0 ) ||
        ( run( "'%s' dgst -sha256 -sign '%s' -out '%s' '%s' >/dev/null 2>&1",
               OTA_TEST_OPENSSL, key, sigPath, payloadPath ) != 0 ) )
    {
        return -1;
    }

    f = fopen( sigPath, "rb" );

    if( f == NULL )
    {
        return -1;
    }

    g.signature.size = ( uint16_t ) fread( g.signature.data, 1, sizeof( g.signature.data ), f );
    ( void ) fclose( f );
    g.haveKeys = ( g.signature.size > 0U );

    return g.haveKeys ? 0 : -1;
}

static int groupTeardown( void ** state )
{
    ( void ) state;

    return run( "rm -rf '%s'", g.dir );
}

static void requireKeys( void )
{
    if( !g.haveKeys )
    {
        print_message( "openssl not found when configuring: signature test skipped\n" );
        skip();
    }
}

static OtaFileContext_t context( const char * pImage,
                                 const char * pCert,
                                 Sig256_t * pSignature )
{
    OtaFileContext_t ctx;

    memset( &ctx, 0, sizeof( ctx ) );
    ctx.pFilePath = ( uint8_t * ) pImage;
    ctx.pCertFilepath = ( uint8_t * ) pCert;
    ctx.pSignature = pSignature;

    return ctx;
}

/* Creates the receive file and writes `payload` to it, last block first. */
static void receiveBackwards( OtaFileContext_t * pCtx,
                              const uint8_t * pPayload )
{
    uint32_t blocks = ( PAYLOAD_SIZE + BLOCK_SIZE - 1U ) / BLOCK_SIZE;
    uint32_t i;
    uint8_t block[ BLOCK_SIZE ];

    assert_int_equal( otaPal_CreateFileForRx( pCtx ), OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 ) );
    assert_non_null( pCtx->pFile );

    for( i = blocks; i > 0U; i-- )
    {
        uint32_t offset = ( i - 1U ) * BLOCK_SIZE;
        uint32_t size = ( PAYLOAD_SIZE - offset < BLOCK_SIZE ) ? ( PAYLOAD_SIZE - offset ) : BLOCK_SIZE;

        memcpy( block, &pPayload[ offset ], size );
        assert_int_equal( otaPal_WriteBlock( pCtx, offset, block, size ), ( int16_t ) size );
    }
}

static int fileExists( const char * pPath )
{
    return access( pPath, F_OK ) == 0;
}

static void signed_image_written_out_of_order_passes( void ** state )
{
    OtaFileContext_t ctx = context( IMAGE_NAME, "signer.pem", &g.signature );
    uint8_t readBack[ PAYLOAD_SIZE ];
    FILE * f;

    ( void ) state;
    requireKeys();

    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 ) );
    assert_null( ctx.pFile );

    f = fopen( g.image, "rb" );
    assert_non_null( f );
    assert_int_equal( fread( readBack, 1, sizeof( readBack ), f ), PAYLOAD_SIZE );
    assert_int_equal( fgetc( f ), EOF );
    ( void ) fclose( f );
    assert_memory_equal( readBack, g.payload, PAYLOAD_SIZE );

    /* Verified: pending commit until the self test accepts it. */
    assert_int_equal( otaPal_GetPlatformImageState( &ctx ), OtaPalImageStatePendingCommit );
    assert_int_equal( otaPal_SetPlatformImageState( &ctx, OtaImageStateAccepted ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( &ctx ), OtaPalImageStateValid );
}

static void tampered_image_fails_and_is_deleted( void ** state )
{
    OtaFileContext_t ctx = context( IMAGE_NAME, "signer.pem", &g.signature );
    static uint8_t tampered[ PAYLOAD_SIZE ];
    OtaPalStatus_t status;

    ( void ) state;
    requireKeys();

    memcpy( tampered, g.payload, PAYLOAD_SIZE );
    tampered[ 2U * BLOCK_SIZE + 7U ] ^= 0x40U;
    receiveBackwards( &ctx, tampered );
    status = otaPal_CloseFile( &ctx );

    assert_int_equal( OTA_PAL_MAIN_ERR( status ), OtaPalSignatureCheckFailed );
    assert_int_equal( OTA_PAL_SUB_ERR( status ), 0 );
    assert_false( fileExists( g.image ) );
    assert_int_equal( otaPal_GetPlatformImageState( &ctx ), OtaPalImageStateInvalid );
}

static void another_signers_certificate_fails( void ** state )
{
    OtaFileContext_t ctx = context( IMAGE_NAME, "other.pem", &g.signature );

    ( void ) state;
    requireKeys();

    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0 ) );
    assert_false( fileExists( g.image ) );
}

static void missing_or_garbage_certificate_is_a_bad_signer_cert( void ** state )
{
    char garbage[ PATH_SIZE ];
    OtaFileContext_t ctx;
    FILE * f;

    ( void ) state;
    requireKeys();

    ctx = context( IMAGE_NAME, "absent.pem", &g.signature );
    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalBadSignerCert, 0 ) );
    assert_false( fileExists( g.image ) );

    joinPath( garbage, "garbage.pem" );
    f = fopen( garbage, "w" );
    assert_non_null( f );
    fputs( "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", f );
    ( void ) fclose( f );
    ctx = context( IMAGE_NAME, "garbage.pem", &g.signature );
    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalBadSignerCert, 0 ) );
    assert_false( fileExists( g.image ) );
}

static void empty_or_malformed_signature_fails( void ** state )
{
    Sig256_t bad;
    OtaFileContext_t ctx = context( IMAGE_NAME, "signer.pem", &bad );

    ( void ) state;
    requireKeys();

    memset( &bad, 0, sizeof( bad ) );
    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0 ) );

    /* The good signature with its DER length byte off by one. */
    bad = g.signature;
    bad.data[ 1 ]++;
    receiveBackwards( &ctx, g.payload );
    assert_int_equal( otaPal_CloseFile( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0 ) );
    assert_false( fileExists( g.image ) );
}

static void abort_removes_the_partial_file( void ** state )
{
    OtaFileContext_t ctx = context( IMAGE_NAME, "signer.pem", &g.signature );
    uint8_t block[ 16 ] = { 1, 2, 3 };

    ( void ) state;

    assert_int_equal( otaPal_CreateFileForRx( &ctx ), OtaPalSuccess );
    assert_int_equal( otaPal_WriteBlock( &ctx, 3U * BLOCK_SIZE, block, sizeof( block ) ), ( int16_t ) sizeof( block ) );
    assert_true( fileExists( g.image ) );
    assert_int_equal( otaPal_Abort( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 ) );
    assert_null( ctx.pFile );
    assert_false( fileExists( g.image ) );
    /* Nothing open: nothing to do. */
    assert_int_equal( otaPal_Abort( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 ) );
    assert_int_equal( otaPal_Abort( NULL ), OTA_PAL_COMBINE_ERR( OtaPalFileAbort, 0 ) );
}

static void bad_paths_and_arguments_fail_cleanly( void ** state )
{
    char expected[ PATH_SIZE + 64 ];
    OtaFileContext_t ctx;
    OtaPalStatus_t status;
    uint8_t byte = 0;

    ( void ) state;

    ctx = context( "no/such/folder/" IMAGE_NAME, "signer.pem", &g.signature );
    test_log_reset();
    status = otaPal_CreateFileForRx( &ctx );
    assert_int_equal( OTA_PAL_MAIN_ERR( status ), OtaPalRxFileCreateFailed );
    assert_int_equal( OTA_PAL_SUB_ERR( status ), ENOENT );
    assert_null( ctx.pFile );
    /* A record with a string and a number, formatted by the application's LogError. */
    ( void ) snprintf( expected, sizeof( expected ), "Failed to create receive file %s: errno=%d", "no/such/folder/" IMAGE_NAME, ENOENT );
    assert_string_equal( test_log_last(), expected );

    /* A job may not name a path outside the image folder. */
    ctx = context( g.otherCert, "signer.pem", &g.signature );
    status = otaPal_CreateFileForRx( &ctx );
    assert_int_equal( OTA_PAL_MAIN_ERR( status ), OtaPalRxFileCreateFailed );
    assert_int_equal( OTA_PAL_SUB_ERR( status ), EINVAL );
    assert_true( fileExists( g.otherCert ) || !g.haveKeys );
    ctx = context( "../other.pem", "signer.pem", &g.signature );
    status = otaPal_CreateFileForRx( &ctx );
    assert_int_equal( OTA_PAL_SUB_ERR( status ), EINVAL );

    ctx = context( NULL, "signer.pem", &g.signature );
    assert_int_equal( otaPal_CreateFileForRx( &ctx ), OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 0 ) );
    assert_int_equal( otaPal_CreateFileForRx( NULL ), OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 0 ) );
    assert_int_equal( otaPal_WriteBlock( &ctx, 0, &byte, 1 ), -1 );
    assert_int_equal( otaPal_WriteBlock( NULL, 0, &byte, 1 ), -1 );
    assert_int_equal( otaPal_CloseFile( NULL ), OTA_PAL_COMBINE_ERR( OtaPalFileClose, 0 ) );
}

static void image_state_follows_the_sdk_mapping( void ** state )
{
    ( void ) state;

    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateTesting ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStatePendingCommit );
    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateAccepted ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStateValid );
    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateRejected ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStateInvalid );
    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateAborted ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStateInvalid );
    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateUnknown ),
                      OTA_PAL_COMBINE_ERR( OtaPalBadImageState, 0 ) );
    assert_int_equal( otaPal_SetPlatformImageState( NULL, ( OtaImageState_t ) 9 ),
                      OTA_PAL_COMBINE_ERR( OtaPalBadImageState, 0 ) );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStateInvalid );

    /* Activate and reset return success and leave the state alone. */
    assert_int_equal( otaPal_SetPlatformImageState( NULL, OtaImageStateTesting ), OtaPalSuccess );
    assert_int_equal( otaPal_ActivateNewImage( NULL ), OtaPalSuccess );
    assert_int_equal( otaPal_ResetDevice( NULL ), OtaPalSuccess );
    assert_int_equal( otaPal_GetPlatformImageState( NULL ), OtaPalImageStatePendingCommit );
}

static void pal_fills_the_v2_interface_and_names_its_signature_key( void ** state )
{
    OtaPalInterface_t pal;

    ( void ) state;

    /* Assignments without casts: the prototypes are those of OtaPalInterface_t. */
    pal.getPlatformImageState = otaPal_GetPlatformImageState;
    pal.setPlatformImageState = otaPal_SetPlatformImageState;
    pal.writeBlock = otaPal_WriteBlock;
    pal.activate = otaPal_ActivateNewImage;
    pal.closeFile = otaPal_CloseFile;
    pal.reset = otaPal_ResetDevice;
    pal.abort = otaPal_Abort;
    pal.createFile = otaPal_CreateFileForRx;
    assert_int_equal( pal.reset( NULL ), OtaPalSuccess );

    /* This program defines no OTA_JsonFileSignatureKey: the PAL's default is linked. */
    assert_string_equal( OTA_JsonFileSignatureKey, "sig-sha256-ecdsa" );
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test( signed_image_written_out_of_order_passes ),
        cmocka_unit_test( tampered_image_fails_and_is_deleted ),
        cmocka_unit_test( another_signers_certificate_fails ),
        cmocka_unit_test( missing_or_garbage_certificate_is_a_bad_signer_cert ),
        cmocka_unit_test( empty_or_malformed_signature_fails ),
        cmocka_unit_test( abort_removes_the_partial_file ),
        cmocka_unit_test( bad_paths_and_arguments_fail_cleanly ),
        cmocka_unit_test( image_state_follows_the_sdk_mapping ),
        cmocka_unit_test( pal_fills_the_v2_interface_and_names_its_signature_key ),
    };

    return cmocka_run_group_tests( tests, groupSetup, groupTeardown );
}
