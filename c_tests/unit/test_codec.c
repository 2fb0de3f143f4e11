/* ota-rs c_tests: base64Decode and the CBOR stream messages through the C API.
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ota_base64_private.h"
#include "ota_cbor_private.h"
#include "test_log.h"

static Base64Status_t decode( const char * pText,
                              uint8_t * pOut,
                              size_t outSize,
                              size_t * pLen )
{
    return base64Decode( pOut, outSize, pLen, ( const uint8_t * ) pText, strlen( pText ) );
}

static void base64_decodes_padded_and_unpadded_text( void ** state )
{
    uint8_t out[ 16 ];
    size_t len = 0;

    ( void ) state;
    assert_int_equal( decode( "Zm9vYmFy", out, sizeof( out ), &len ), Base64Success );
    assert_int_equal( len, 6 );
    assert_memory_equal( out, "foobar", 6 );
    assert_int_equal( decode( "Zm9vYg==", out, sizeof( out ), &len ), Base64Success );
    assert_int_equal( len, 4 );
    assert_int_equal( decode( "Zm9vYg", out, sizeof( out ), &len ), Base64Success );
    assert_int_equal( len, 4 );
    assert_memory_equal( out, "foob", 4 );
    assert_int_equal( decode( "Zm9v\r\nYmFy", out, sizeof( out ), &len ), Base64Success );
    assert_int_equal( len, 6 );
}

static void base64_reports_each_class_of_bad_input( void ** state )
{
    uint8_t out[ 16 ];
    size_t len = 0;

    ( void ) state;
    assert_int_equal( decode( "Zm9v*mFy", out, sizeof( out ), &len ), Base64InvalidSymbol );
    assert_int_equal( decode( "Zm=vYmFy", out, sizeof( out ), &len ), Base64InvalidSymbolOrdering );
    assert_int_equal( decode( "Z", out, sizeof( out ), &len ), Base64InvalidInputSize );
    assert_int_equal( decode( "Zm9vY", out, sizeof( out ), &len ), Base64InvalidInputSize );
    assert_int_equal( decode( "Zm9vYmFy", out, 2, &len ), Base64InvalidBufferSize );
    assert_int_equal( decode( "Zh==", out, sizeof( out ), &len ), Base64NonZeroPadding );
    assert_int_equal( decode( "Zg===", out, sizeof( out ), &len ), Base64InvalidPaddingSymbol );
    assert_int_equal( base64Decode( NULL, 4, &len, ( const uint8_t * ) "Zm9v", 4 ), Base64NullPointerInput );
    assert_int_equal( base64Decode( out, 4, NULL, ( const uint8_t * ) "Zm9v", 4 ), Base64NullPointerInput );
    assert_int_equal( base64Decode( out, 4, &len, NULL, 4 ), Base64NullPointerInput );
    /* v2.0.0 checks the length last, so it wins over a NULL pointer. */
    assert_int_equal( base64Decode( out, 4, &len, NULL, 1 ), Base64InvalidInputSize );
}

/* {"c":"ThisIsAClientToken","f":1,"l":4096,"o":0,"b":h'aaaaaaaa',"n":1}, as v2.0.0 encodes it. */
static const uint8_t requestGolden[] =
{
    0xa6, 0x61, 0x63, 0x72, 'T', 'h', 'i', 's', 'I', 's', 'A', 'C', 'l', 'i', 'e', 'n', 't', 'T', 'o', 'k', 'e', 'n',
    0x61, 0x66, 0x01, 0x61, 0x6c, 0x19, 0x10, 0x00, 0x61, 0x6f, 0x00,
    0x61, 0x62, 0x44, 0xaa, 0xaa, 0xaa, 0xaa, 0x61, 0x6e, 0x01
};

static void cbor_request_is_byte_identical_to_v2( void ** state )
{
    uint8_t bitmap[ 4 ] = { 0xaa, 0xaa, 0xaa, 0xaa };
    uint8_t out[ 64 ];
    size_t size = 0;

    ( void ) state;
    assert_true( OTA_CBOR_Encode_GetStreamRequestMessage( out, sizeof( out ), &size, "ThisIsAClientToken",
                                                          1, 4096, 0, bitmap, sizeof( bitmap ), 1 ) );
    assert_int_equal( size, sizeof( requestGolden ) );
    assert_memory_equal( out, requestGolden, sizeof( requestGolden ) );
}

static void cbor_request_fails_cleanly_on_a_short_buffer_or_null( void ** state )
{
    uint8_t bitmap[ 4 ] = { 0 };
    uint8_t out[ 64 ];
    size_t size = 12345;
    size_t cap;

    ( void ) state;

    for( cap = 0; cap < sizeof( requestGolden ); cap++ )
    {
        assert_false( OTA_CBOR_Encode_GetStreamRequestMessage( out, cap, &size, "ThisIsAClientToken",
                                                               1, 4096, 0, bitmap, sizeof( bitmap ), 1 ) );
        assert_int_equal( size, 12345 );
    }

    assert_false( OTA_CBOR_Encode_GetStreamRequestMessage( NULL, 64, &size, "x", 1, 1, 0, bitmap, 4, 1 ) );
    assert_false( OTA_CBOR_Encode_GetStreamRequestMessage( out, 64, NULL, "x", 1, 1, 0, bitmap, 4, 1 ) );
    assert_false( OTA_CBOR_Encode_GetStreamRequestMessage( out, 64, &size, NULL, 1, 1, 0, bitmap, 4, 1 ) );
    assert_false( OTA_CBOR_Encode_GetStreamRequestMessage( out, 64, &size, "x", 1, 1, 0, NULL, 4, 1 ) );
}

/* {"f":0,"i":3,"l":4,"p":h'01020304'} */
static const uint8_t responseGood[] =
{
    0xa4, 0x61, 'f', 0x00, 0x61, 'i', 0x03, 0x61, 'l', 0x04, 0x61, 'p', 0x44, 0x01, 0x02, 0x03, 0x04
};

static void cbor_response_decodes_into_the_callers_buffer( void ** state )
{
    uint8_t payload[ 8 ] = { 0 };
    uint8_t * pPayload = payload;
    size_t payloadSize = sizeof( payload );
    int32_t fileId = -1, blockId = -1, blockSize = -1;

    ( void ) state;
    assert_true( OTA_CBOR_Decode_GetStreamResponseMessage( responseGood, sizeof( responseGood ), &fileId,
                                                           &blockId, &blockSize, &pPayload, &payloadSize ) );
    assert_int_equal( fileId, 0 );
    assert_int_equal( blockId, 3 );
    assert_int_equal( blockSize, 4 );
    assert_int_equal( payloadSize, 4 );
    assert_memory_equal( payload, "\x01\x02\x03\x04", 4 );
    assert_int_equal( payload[ 4 ], 0 );
}

static void cbor_response_rejects_bad_messages_without_overrun( void ** state )
{
    uint8_t payload[ 3 ];
    uint8_t * pPayload = payload;
    size_t payloadSize = sizeof( payload );
    int32_t fileId, blockId, blockSize;
    uint8_t message[ sizeof( responseGood ) ];
    size_t cut;
    static const uint8_t wrongType[] = { 0xa4, 0x61, 'f', 0x41, 0x00, 0x61, 'i', 0x03, 0x61, 'l', 0x04, 0x61, 'p', 0x40 };
    static const uint8_t notMap[] = { 0x84, 0x01, 0x02, 0x03, 0x04 };
    static const uint8_t missingKey[] = { 0xa3, 0x61, 'f', 0x00, 0x61, 'i', 0x03, 0x61, 'l', 0x04 };

    ( void ) state;
    /* Payload larger than the caller's buffer. */
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( responseGood, sizeof( responseGood ), &fileId,
                                                            &blockId, &blockSize, &pPayload, &payloadSize ) );
    assert_int_equal( payloadSize, sizeof( payload ) );

    /* Truncated at every length (copied so ASan sees any read past the end). */
    for( cut = 0; cut < sizeof( responseGood ); cut++ )
    {
        uint8_t big[ 8 ];
        uint8_t * pBig = big;
        size_t bigSize = sizeof( big );
        memcpy( message, responseGood, cut );
        assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( message, cut, &fileId, &blockId, &blockSize,
                                                                &pBig, &bigSize ) );
    }

    payloadSize = sizeof( payload );
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( wrongType, sizeof( wrongType ), &fileId, &blockId,
                                                            &blockSize, &pPayload, &payloadSize ) );
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( notMap, sizeof( notMap ), &fileId, &blockId,
                                                            &blockSize, &pPayload, &payloadSize ) );
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( missingKey, sizeof( missingKey ), &fileId, &blockId,
                                                            &blockSize, &pPayload, &payloadSize ) );
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( responseGood, sizeof( responseGood ), NULL, &blockId,
                                                            &blockSize, &pPayload, &payloadSize ) );
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( NULL, 4, &fileId, &blockId, &blockSize, &pPayload,
                                                            &payloadSize ) );
}

/* The library's log records go through this program's LogError (c_tests/config/ota_config.h);
 * LogDebug is not defined there, so debug records never arrive. */
static void library_logs_through_the_application_macros( void ** state )
{
    uint8_t payload[ 8 ];
    uint8_t * pPayload = payload;
    size_t payloadSize = sizeof( payload );
    int32_t fileId, blockId, blockSize;
    static const uint8_t notMap[] = { 0x01 };

    ( void ) state;
    test_log_reset();
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( notMap, sizeof( notMap ), &fileId, &blockId,
                                                            &blockSize, &pPayload, &payloadSize ) );
    assert_int_equal( test_log_count( TEST_LOG_ERROR ), 1 );
    assert_string_equal( test_log_last(), "Rejected a GetStream response: NotAMap" );

    /* The numbers are arguments the application's printf formats. */
    payloadSize = 2;
    assert_false( OTA_CBOR_Decode_GetStreamResponseMessage( responseGood, sizeof( responseGood ), &fileId,
                                                            &blockId, &blockSize, &pPayload, &payloadSize ) );
    assert_string_equal( test_log_last(), "GetStream payload of 4 bytes exceeds the 2 byte buffer" );

    /* A success logs at debug level only: nothing reaches the application. */
    test_log_reset();
    payloadSize = sizeof( payload );
    assert_true( OTA_CBOR_Decode_GetStreamResponseMessage( responseGood, sizeof( responseGood ), &fileId,
                                                           &blockId, &blockSize, &pPayload, &payloadSize ) );
    assert_int_equal( test_log_count( TEST_LOG_ERROR ) + test_log_count( TEST_LOG_WARN ) +
                      test_log_count( TEST_LOG_INFO ) + test_log_count( TEST_LOG_DEBUG ), 0 );
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test( base64_decodes_padded_and_unpadded_text ),
        cmocka_unit_test( base64_reports_each_class_of_bad_input ),
        cmocka_unit_test( cbor_request_is_byte_identical_to_v2 ),
        cmocka_unit_test( cbor_request_fails_cleanly_on_a_short_buffer_or_null ),
        cmocka_unit_test( cbor_response_decodes_into_the_callers_buffer ),
        cmocka_unit_test( cbor_response_rejects_bad_messages_without_overrun ),
        cmocka_unit_test( library_logs_through_the_application_macros ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
