/*
 * DMAHost — copy kernels of the CPU copy engine: non-temporal (streaming) stores, and the
 * fastest copy through the caches.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Copies whose stores bypass the CPU caches, for destinations the copier will not read soon.
 *
 * A regular `memcpy` into memory that is not cached first reads every destination line into
 * the cache (read for ownership), then writes it back when the line is evicted: three memory
 * transfers per copied line, and the copy evicts lines the program still uses. Non-temporal
 * stores (x86-64 `movntdq`, `vmovntdq`) write whole lines through write-combining buffers
 * straight to memory: two transfers per line, and the caches keep what they held.
 *
 * Ordering: non-temporal stores are weakly ordered. A store made after them (such as the flag
 * or callback that tells another thread "the copy is done") can become visible before the
 * copied bytes do. Every copy function here therefore ends with `sfence`, which makes its
 * non-temporal stores globally visible before any later store: when it returns, the
 * destination can be published like memory written by `memcpy`.
 *
 * Kernels are chosen at run time from the CPU's features (`cpuid`, and `xgetbv` for the
 * registers the operating system saves): \ref dmahost_copy_kernel_detect. On other
 * architectures, or without SSE2, every copy is a `memcpy`.
 */

#ifndef DMAHOST_COPY_KERNELS_H
#define DMAHOST_COPY_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The non-temporal copy kernels, from the plainest to the widest. */
enum dmahost_copy_kernel {
	/** No streaming stores: `memcpy` (other architectures). */
	DMAHOST_COPY_KERNEL_MEMCPY = 0,
	/** 16-byte `movntdq` (SSE2, every x86-64 CPU). */
	DMAHOST_COPY_KERNEL_SSE2 = 1,
	/** 32-byte `vmovntdq` (AVX2, with the OS saving the YMM registers). */
	DMAHOST_COPY_KERNEL_AVX2 = 2,
	/** 64-byte `vmovntdq` (AVX-512F, with the OS saving the ZMM registers). */
	DMAHOST_COPY_KERNEL_AVX512 = 3,
};

/**
 * The widest kernel this CPU and operating system support: `cpuid` leaf 1 (SSE2, OSXSAVE,
 * AVX), leaf 7 (AVX2, AVX-512F) and `xgetbv` (XCR0: the OS saves YMM, and ZMM/opmask state).
 * Cheap enough to call once per engine; thread-safe.
 * \return A value of \ref dmahost_copy_kernel.
 */
int dmahost_copy_kernel_detect(void);

/** A short name of \b kernel ("memcpy", "sse2", "avx2", "avx512"); "unknown" otherwise. */
const char *dmahost_copy_kernel_name(int kernel);

/**
 * Copies \b length bytes from \b source to \b destination with non-temporal stores, using
 * \b kernel (a value \ref dmahost_copy_kernel_detect returned, or a narrower one; any other
 * value copies with `memcpy`). The ranges must not overlap; any alignment. The bytes before
 * the first 64-byte boundary of the destination and after the last one are copied with
 * `memcpy`. Ends with `sfence` (see the file comment): when it returns, the copied bytes are
 * ordered before every later store of the calling thread.
 */
void dmahost_copy_nontemporal(int kernel, void *destination, const void *source, size_t length);

/**
 * Copies \b length bytes from \b source to \b destination through the caches, with the
 * fastest regular-store copy of this CPU: above 1 KiB `rep movsb` where `cpuid` reports fast
 * short `rep movsb` (FSRM, leaf 7 EDX bit 4), else `memcpy` (below 1 KiB the start-up of
 * `rep movsb` costs more than `memcpy`'s vector moves: 0.75–0.95× at 128 B–1 KiB hot, and
 * about 1 ns more per 64-byte copy in the engine's round trip). On a 2-vCPU AMD EPYC VM (FSRM, glibc
 * 2.36, whose `memcpy` uses `rep movsb` itself from 2112 bytes up to the L2 size and vector
 * loops outside that range), `rep movsb` moved cold 4 KiB copies 1.08× as fast as `memcpy`,
 * L3-resident 64 KiB and 256 KiB copies as fast within 3%, and 1 MiB copies 1.2–1.26× as fast
 * (Benchmarks/CPU/kernels.sh). The ranges must not overlap; any alignment.
 * Thread-safe; the CPU is inspected on the first call.
 */
void dmahost_copy_cached(void *destination, const void *source, size_t length);

/** 1 when \ref dmahost_copy_cached copies with `rep movsb`, 0 when with `memcpy`. */
int dmahost_copy_cached_uses_movsb(void);

/**
 * Fills \b length bytes at \b destination with \b pattern using non-temporal stores, as
 * \ref dmahost_copy_nontemporal copies (same kernels, same `sfence` at the end).
 */
void dmahost_fill_nontemporal(int kernel, void *destination, unsigned char pattern, size_t length);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_COPY_KERNELS_H */
