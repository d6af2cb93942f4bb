/*
 * DMAHost — internal helper of the DriverHost target (not installed, not ABI).
 */
#ifndef DMAHOST_PROCESS_H
#define DMAHOST_PROCESS_H

/**
 * 1 when the kernel started this program in secure-execution mode (`getauxval(AT_SECURE)`
 * nonzero: a set-user-ID or set-group-ID program, or one that gained capabilities at exec),
 * else 0. `<sys/auxv.h>` is not part of Swift's Glibc module, hence this wrapper.
 */
int dmahost_secure_execution(void);

#endif /* DMAHOST_PROCESS_H */
