/* ota-rs c_tests/tsan: the ota_config.h that libota.a and the race test are built with.
 * SPDX-License-Identifier: MIT
 *
 * Short request timer so lost blocks are asked for again quickly; a self-test window the test
 * never reaches; a deep event queue so the hammering threads cannot starve the agent's own
 * events; log records go to the program's thread-safe logger (tsan_ota.c). */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

void tsan_log_error( const char * pFormat,
                     ... );
void tsan_log_warn( const char * pFormat,
                    ... );
void tsan_log_info( const char * pFormat,
                    ... );

#define otaconfigFILE_REQUEST_WAIT_MS           300U
#define otaconfigSELF_TEST_RESPONSE_WAIT_MS     120000U
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    8U
#define configOTA_NUM_MSG_Q_ENTRIES             64U

#define LogError( message )    tsan_log_error message
#define LogWarn( message )     tsan_log_warn message
#define LogInfo( message )     tsan_log_info message

#endif /* OTA_CONFIG_H_ */
