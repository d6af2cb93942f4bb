/*
 * DMAHost — Intel DSA/IAX work-queue submission primitives.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * The few instructions user space needs to drive an Intel Data Streaming Accelerator (DSA)
 * or In-Memory Analytics Accelerator (IAX) work queue (WQ) opened from `/dev/dsa/wqX.Y`
 * (kernel driver idxd): 64-byte descriptor submission to the WQ's portal with MOVDIR64B
 * (dedicated WQ) or ENQCMD (shared WQ), CPUID feature checks, and a volatile read of a
 * completion record's status byte.
 *
 * The instructions are emitted as raw bytes so that any assembler accepts them; the CPU must
 * support them (check \ref dmahost_cpu_has_movdir64b / \ref dmahost_cpu_has_enqcmd first:
 * executing them on a CPU without the feature raises #UD, i.e. SIGILL).
 */

#ifndef DMAHOST_IDXD_H
#define DMAHOST_IDXD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** 1 when the CPU supports MOVDIR64B (CPUID.(EAX=7,ECX=0):ECX bit 28), else 0. */
int dmahost_cpu_has_movdir64b(void);

/** 1 when the CPU supports ENQCMD (CPUID.(EAX=7,ECX=0):ECX bit 29), else 0. */
int dmahost_cpu_has_enqcmd(void);

/**
 * Submit a descriptor to a dedicated WQ: `sfence` (earlier stores, e.g. the zeroed completion
 * record, become visible first), then `MOVDIR64B` of the 64 bytes at \b descriptor (64-byte
 * aligned) to \b portal (the mmapped WQ portal). A dedicated WQ silently drops descriptors
 * beyond its size: the caller keeps at most the WQ size in flight.
 */
void dmahost_idxd_movdir64b(volatile void *portal, const void *descriptor);

/**
 * Submit a descriptor to a shared WQ: `sfence`, then `ENQCMD`.
 * \return 0 when the WQ accepted it, 1 when it was full (retry later).
 */
int dmahost_idxd_enqcmd(volatile void *portal, const void *descriptor);

/** The status byte of a completion record (a volatile load: the device writes it). */
uint8_t dmahost_idxd_completion_status(const volatile void *record);

/**
 * Fault in the page holding \b address so that a resubmitted descriptor finds it present: a
 * volatile read, or for a write fault an atomic add of 0 (makes the page writable without
 * changing its contents, even if another thread writes it concurrently).
 */
void dmahost_idxd_touch(void *address, int write);

/** A `pause` hint for polling loops. */
void dmahost_idxd_pause(void);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_IDXD_H */
