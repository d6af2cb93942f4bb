/*
 * DMAHost — non-temporal copy and fill kernels (see dmahost_copy_kernels.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "dmahost_copy_kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* XCR0 through xgetbv (only after cpuid reported OSXSAVE). */
static uint64_t read_xcr0(void) {
	uint32_t low, high;
	__asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
	return ((uint64_t)high << 32) | low;
}

int dmahost_copy_kernel_detect(void) {
	unsigned int eax, ebx, ecx, edx;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(edx & bit_SSE2)) return DMAHOST_COPY_KERNEL_MEMCPY;
	int kernel = DMAHOST_COPY_KERNEL_SSE2;
	if (!(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) return kernel;
	uint64_t xcr0 = read_xcr0();
	if ((xcr0 & 0x6) != 0x6) return kernel; /* XMM and YMM state */
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return kernel;
	if (ebx & bit_AVX2) kernel = DMAHOST_COPY_KERNEL_AVX2;
	if ((ebx & bit_AVX512F) && (xcr0 & 0xe6) == 0xe6) kernel = DMAHOST_COPY_KERNEL_AVX512; /* + opmask, ZMM */
	return kernel;
}

/* Each kernel streams whole 64-byte lines of the destination; the caller aligned it. The source
   is left to the hardware prefetchers, one line per iteration: on a 2-vCPU AMD EPYC VM, software
   prefetch (256 B to 4 KiB ahead, or over the start of a copy, or at page boundaries) and 4 or 8
   lines per iteration were not faster on cold 64 KiB to 1 MiB copies (Benchmarks/CPU/kernels.sh,
   the plugin's README). */

static void stream_sse2(char *destination, const char *source, size_t lines) {
	for (size_t i = 0; i < lines; i++, destination += 64, source += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)source);
		__m128i b = _mm_loadu_si128((const __m128i *)(source + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(source + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(source + 48));
		_mm_stream_si128((__m128i *)destination, a);
		_mm_stream_si128((__m128i *)(destination + 16), b);
		_mm_stream_si128((__m128i *)(destination + 32), c);
		_mm_stream_si128((__m128i *)(destination + 48), d);
	}
}

__attribute__((target("avx2"))) static void stream_avx2(char *destination, const char *source, size_t lines) {
	for (size_t i = 0; i < lines; i++, destination += 64, source += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)source);
		__m256i b = _mm256_loadu_si256((const __m256i *)(source + 32));
		_mm256_stream_si256((__m256i *)destination, a);
		_mm256_stream_si256((__m256i *)(destination + 32), b);
	}
	_mm256_zeroupper();
}

__attribute__((target("avx512f"))) static void stream_avx512(char *destination, const char *source, size_t lines) {
	for (size_t i = 0; i < lines; i++, destination += 64, source += 64) {
		_mm512_stream_si512((void *)destination, _mm512_loadu_si512(source));
	}
	_mm256_zeroupper();
}

static void fill_sse2(char *destination, unsigned char pattern, size_t lines) {
	__m128i value = _mm_set1_epi8((char)pattern);
	for (size_t i = 0; i < lines; i++, destination += 64) {
		_mm_stream_si128((__m128i *)destination, value);
		_mm_stream_si128((__m128i *)(destination + 16), value);
		_mm_stream_si128((__m128i *)(destination + 32), value);
		_mm_stream_si128((__m128i *)(destination + 48), value);
	}
}

__attribute__((target("avx2"))) static void fill_avx2(char *destination, unsigned char pattern, size_t lines) {
	__m256i value = _mm256_set1_epi8((char)pattern);
	for (size_t i = 0; i < lines; i++, destination += 64) {
		_mm256_stream_si256((__m256i *)destination, value);
		_mm256_stream_si256((__m256i *)(destination + 32), value);
	}
	_mm256_zeroupper();
}

__attribute__((target("avx512f"))) static void fill_avx512(char *destination, unsigned char pattern, size_t lines) {
	__m512i value = _mm512_set1_epi8((char)pattern);
	for (size_t i = 0; i < lines; i++, destination += 64) _mm512_stream_si512((void *)destination, value);
	_mm256_zeroupper();
}

/* 1: `rep movsb` copies (FSRM), 0: memcpy, -1: not detected yet. A data race free cache of a
   value every thread computes the same way, read and written with atomic builtins. */
static int cached_copy_uses_movsb = -1;

static int detect_fast_movsb(void) {
	unsigned int eax, ebx, ecx, edx;
	/* cpuid leaf 7, EDX bit 4: fast short REP MOVSB. */
	return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx & (1u << 4)) ? 1 : 0;
}

int dmahost_copy_cached_uses_movsb(void) {
	int uses = __atomic_load_n(&cached_copy_uses_movsb, __ATOMIC_RELAXED);
	if (uses < 0) {
		uses = detect_fast_movsb();
		__atomic_store_n(&cached_copy_uses_movsb, uses, __ATOMIC_RELAXED);
	}
	return uses;
}

void dmahost_copy_cached(void *destination, const void *source, size_t length) {
	if (length > 1024 && dmahost_copy_cached_uses_movsb() == 1) {
		__asm__ volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(length) : : "memory");
	} else {
		memcpy(destination, source, length);
	}
}

/* The bytes before the destination's first 64-byte boundary; SIZE_MAX when \b kernel does
   not stream or the range holds no whole line (then the caller copies it all plainly). */
static size_t streaming_head(int kernel, const void *destination, size_t length) {
	size_t head = (size_t)(-(uintptr_t)destination) & 63;
	if (kernel <= DMAHOST_COPY_KERNEL_MEMCPY || kernel > DMAHOST_COPY_KERNEL_AVX512 || length < head + 64) return SIZE_MAX;
	return head;
}

void dmahost_copy_nontemporal(int kernel, void *destination, const void *source, size_t length) {
	char *to = destination;
	const char *from = source;
	size_t head = streaming_head(kernel, to, length);
	if (head == SIZE_MAX) {
		memcpy(to, from, length);
		return;
	}
	memcpy(to, from, head);
	to += head;
	from += head;
	length -= head;
	size_t lines = length / 64;
	switch (kernel) {
	case DMAHOST_COPY_KERNEL_AVX512: stream_avx512(to, from, lines); break;
	case DMAHOST_COPY_KERNEL_AVX2: stream_avx2(to, from, lines); break;
	default: stream_sse2(to, from, lines); break;
	}
	memcpy(to + lines * 64, from + lines * 64, length - lines * 64);
	_mm_sfence(); /* the streamed lines are visible before any later store (the completion) */
}

void dmahost_fill_nontemporal(int kernel, void *destination, unsigned char pattern, size_t length) {
	char *to = destination;
	size_t head = streaming_head(kernel, to, length);
	if (head == SIZE_MAX) {
		memset(to, pattern, length);
		return;
	}
	memset(to, pattern, head);
	to += head;
	length -= head;
	size_t lines = length / 64;
	switch (kernel) {
	case DMAHOST_COPY_KERNEL_AVX512: fill_avx512(to, pattern, lines); break;
	case DMAHOST_COPY_KERNEL_AVX2: fill_avx2(to, pattern, lines); break;
	default: fill_sse2(to, pattern, lines); break;
	}
	memset(to + lines * 64, pattern, length - lines * 64);
	_mm_sfence();
}

#else /* not x86-64: the portable fallback */

int dmahost_copy_cached_uses_movsb(void) { return 0; }

void dmahost_copy_cached(void *destination, const void *source, size_t length) {
	memcpy(destination, source, length);
}

int dmahost_copy_kernel_detect(void) { return DMAHOST_COPY_KERNEL_MEMCPY; }

void dmahost_copy_nontemporal(int kernel, void *destination, const void *source, size_t length) {
	(void)kernel;
	memcpy(destination, source, length);
}

void dmahost_fill_nontemporal(int kernel, void *destination, unsigned char pattern, size_t length) {
	(void)kernel;
	memset(destination, pattern, length);
}

#endif

const char *dmahost_copy_kernel_name(int kernel) {
	switch (kernel) {
	case DMAHOST_COPY_KERNEL_MEMCPY: return "memcpy";
	case DMAHOST_COPY_KERNEL_SSE2: return "sse2";
	case DMAHOST_COPY_KERNEL_AVX2: return "avx2";
	case DMAHOST_COPY_KERNEL_AVX512: return "avx512";
	default: return "unknown";
	}
}
