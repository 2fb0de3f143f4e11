/* ota-rs test config: v2.0.0 defaults, every level on through macros that paste text onto a
 * literal format (as some vendor logging wrappers do), so libota.a must hand them "%s". */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include <stdio.h>

#define OTA_TEST_LOG_PASTE( level, fmt, ... )    printf( "[" level "] " fmt "\n", __VA_ARGS__ )
#define OTA_TEST_LOG_E( ... )                    OTA_TEST_LOG_PASTE( "E", __VA_ARGS__, 0 )
#define OTA_TEST_LOG_W( ... )                    OTA_TEST_LOG_PASTE( "W", __VA_ARGS__, 0 )
#define OTA_TEST_LOG_I( ... )                    OTA_TEST_LOG_PASTE( "I", __VA_ARGS__, 0 )
#define OTA_TEST_LOG_D( ... )                    OTA_TEST_LOG_PASTE( "D", __VA_ARGS__, 0 )

#define LogError( message )    OTA_TEST_LOG_E message
#define LogWarn( message )     OTA_TEST_LOG_W message
#define LogInfo( message )     OTA_TEST_LOG_I message
#define LogDebug( message )    OTA_TEST_LOG_D message

#endif /* OTA_CONFIG_H_ */
