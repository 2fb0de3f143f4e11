/* Shared helper of the QEMU firmwares: ending QEMU with a status through semihosting. */
#ifndef FW_H
#define FW_H

/* Ends QEMU with this status (semihosting); never returns. */
void fwExit( int status ) __attribute__( ( noreturn ) );

#endif /* FW_H */
