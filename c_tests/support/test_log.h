/* ota-rs c_tests: a log sink that records what the library logs. SPDX-License-Identifier: MIT */
#ifndef TEST_LOG_H_
#define TEST_LOG_H_

#include <stddef.h>

#define TEST_LOG_ERROR    0
#define TEST_LOG_WARN     1
#define TEST_LOG_INFO     2
#define TEST_LOG_DEBUG    3

/* Sets the level of the record that the next test_log_printf call writes. */
void test_log_level( int level );

/* Appends one formatted record to the capture. */
void test_log_printf( const char * pFormat, ... );

/* Records captured since the last test_log_reset, and the text of the most recent one. */
size_t test_log_count( int level );
const char * test_log_last( void );
void test_log_reset( void );

/* Nonzero when one of the first 64 records since the last test_log_reset, at `level`, reads
 * exactly `pText`. */
int test_log_seen( int level,
                   const char * pText );

#endif /* TEST_LOG_H_ */
