/* ota-rs c_tests: the log sink behind c_tests/config/ota_config.h. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test_log.h"

static int currentLevel = TEST_LOG_ERROR;
static size_t counts[ 4 ];
static char lastRecord[ 512 ];

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
}
