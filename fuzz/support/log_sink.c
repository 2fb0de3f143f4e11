/* ota-rs fuzz: where c_tests/config/ota_config.h sends the library's log records.
 * SPDX-License-Identifier: MIT
 *
 * Each record is formatted into a stack buffer and dropped: formatting reads every argument
 * the library passed (under AddressSanitizer's printf checks), printing would only slow the
 * fuzzer down. */
#include <stdarg.h>
#include <stdio.h>

#include "test_log.h"

static volatile int lastLevel;
static volatile size_t records;

void test_log_level( int level )
{
    lastLevel = level;
}

void test_log_printf( const char * pFormat, ... )
{
    char line[ 512 ];
    va_list args;

    va_start( args, pFormat );
    ( void ) vsnprintf( line, sizeof( line ), pFormat, args );
    va_end( args );
    records = records + 1U;
}

/* The count of records formatted so far (lets a target check that logging reaches here). */
size_t ota_fuzz_log_records( void )
{
    return records;
}
