/* ota-rs c_tests: the log sink behind c_tests/config/ota_config.h. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test_log.h"

#define HISTORY    64U

static int currentLevel = TEST_LOG_ERROR;
static size_t counts[ 4 ];
static char lastRecord[ 512 ];

/* The first HISTORY records since the last reset, with their levels, for test_log_seen. */
static char history[ HISTORY ][ 512 ];
static int historyLevel[ HISTORY ];
static size_t historyLen;

void test_log_level( int level )
{
    currentLevel = ( level >= TEST_LOG_ERROR && level <= TEST_LOG_DEBUG ) ? level : TEST_LOG_ERROR;
}

void test_log_printf( const char * pFormat, ... )
{
    va_list args;

    va_start( args, pFormat );
    ( void ) vsnprintf( lastRecord, sizeof( lastRecord ), pFormat, args );
    va_end( args );
    counts[ currentLevel ]++;

    if( historyLen < HISTORY )
    {
        memcpy( history[ historyLen ], lastRecord, sizeof( lastRecord ) );
        historyLevel[ historyLen ] = currentLevel;
        historyLen++;
    }
}

int test_log_seen( int level,
                   const char * pText )
{
    size_t i;

    for( i = 0U; i < historyLen; i++ )
    {
        if( ( historyLevel[ i ] == level ) && ( strcmp( history[ i ], pText ) == 0 ) )
        {
            return 1;
        }
    }

    return 0;
}

size_t test_log_count( int level )
{
    return ( level >= TEST_LOG_ERROR && level <= TEST_LOG_DEBUG ) ? counts[ level ] : 0U;
}

const char * test_log_last( void )
{
    return lastRecord;
}

void test_log_reset( void )
{
    memset( counts, 0, sizeof( counts ) );
    lastRecord[ 0 ] = '\0';
    historyLen = 0U;
}
