/* ota-rs: v2.0.0 defaults with every log level on, through printf. SPDX-License-Identifier: MIT
 *
 * scripts/check-no-fmt.sh builds libota.a for Cortex-M with this file to show that records
 * reach the application's printf with no core::fmt in the archive. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include <stdio.h>

#define LogError( message )    do { printf( "[ERROR] " ); printf message; printf( "\n" ); } while( 0 )
#define LogWarn( message )     do { printf( "[WARN] " ); printf message; printf( "\n" ); } while( 0 )
#define LogInfo( message )     do { printf( "[INFO] " ); printf message; printf( "\n" ); } while( 0 )
#define LogDebug( message )    do { printf( "[DEBUG] " ); printf message; printf( "\n" ); } while( 0 )

#endif /* OTA_CONFIG_H_ */
