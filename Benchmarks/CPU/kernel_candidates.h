/*
 * DMAHost — the candidate copy kernels of Benchmarks/CPU/kernels.c: copies through the caches,
 * copies with non-temporal stores, and probes of what one thread reaches reading or writing
 * alone. Every function is static: this header is part of kernels.c, compiled with it only.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef DMAHOST_KERNEL_CANDIDATES_H
#define DMAHOST_KERNEL_CANDIDATES_H

#include <cpuid.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- CPU features ---- */

static int has_avx2, has_avx512, has_clzero;

static void detect(void) {
	unsigned int eax, ebx, ecx, edx;
	has_clzero = __get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx) && (ebx & 1); /* AMD CLZERO */
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) return;
	uint32_t low, high;
	__asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
	uint64_t xcr0 = ((uint64_t)high << 32) | low;
	if ((xcr0 & 0x6) != 0x6 || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return;
	has_avx2 = (ebx & bit_AVX2) != 0;
	has_avx512 = (ebx & bit_AVX512F) && (xcr0 & 0xe6) == 0xe6;
}

/* ---- copies through the caches ---- */

static void copy_memcpy(char *d, const char *s, size_t n, size_t arg) {
	(void)arg;
	memcpy(d, s, n);
}

static void copy_movsb(char *d, const char *s, size_t n, size_t arg) {
	(void)arg;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

/* First and last vector unaligned (loaded before the loop), the lines between stored to
   aligned addresses, UNROLL vectors per iteration. n >= one vector. */
#define ALIGNED_LOOP(VEC, LOAD, STOREU, STOREA, WIDTH, UNROLL)                                   \
	do {                                                                                   \
		VEC head = LOAD(s), tail = LOAD(s + n - WIDTH);                                \
		char *last = d + n - WIDTH;                                                    \
		size_t skip = WIDTH - ((uintptr_t)d & (WIDTH - 1));                            \
		STOREU(d, head);                                                               \
		d += skip, s += skip, n -= skip;                                               \
		for (; n >= UNROLL * WIDTH; n -= UNROLL * WIDTH, d += UNROLL * WIDTH, s += UNROLL * WIDTH) { \
			VEC v[UNROLL];                                                         \
			for (int k = 0; k < UNROLL; k++) v[k] = LOAD(s + k * WIDTH);           \
			for (int k = 0; k < UNROLL; k++) STOREA(d + k * WIDTH, v[k]);          \
		}                                                                              \
		for (; n >= WIDTH; n -= WIDTH, d += WIDTH, s += WIDTH) STOREA(d, LOAD(s));      \
		STOREU(last, tail);                                                            \
	} while (0)

#define LOAD512(p) _mm512_loadu_si512((const void *)(p))
#define STOREU512(p, v) _mm512_storeu_si512((void *)(p), v)
#define STOREA512(p, v) _mm512_store_si512((void *)(p), v)
#define LOAD256(p) _mm256_loadu_si256((const __m256i *)(p))
#define STOREU256(p, v) _mm256_storeu_si256((__m256i *)(p), v)
#define STOREA256(p, v) _mm256_store_si256((__m256i *)(p), v)

#define AVX512_COPY(NAME, UNROLL)                                                                  \
	__attribute__((target("avx512f"))) static void NAME(char *d, const char *s, size_t n, size_t arg) { \
		(void)arg;                                                                         \
		ALIGNED_LOOP(__m512i, LOAD512, STOREU512, STOREA512, 64, UNROLL);                   \
		_mm256_zeroupper();                                                                \
	}
#define AVX2_COPY(NAME, UNROLL)                                                                    \
	__attribute__((target("avx2"))) static void NAME(char *d, const char *s, size_t n, size_t arg) { \
		(void)arg;                                                                         \
		ALIGNED_LOOP(__m256i, LOAD256, STOREU256, STOREA256, 32, UNROLL);                   \
		_mm256_zeroupper();                                                                \
	}

AVX512_COPY(copy_avx512_x2, 2)
AVX512_COPY(copy_avx512_x4, 4)
AVX512_COPY(copy_avx512_x8, 8)
AVX2_COPY(copy_avx2_x4, 4)
AVX2_COPY(copy_avx2_x8, 8)

/* AVX-512, 4 lines per iteration, with one more instruction for each of the 4 lines:
   prefetching the source `distance` bytes ahead into L1 (T0), prefetching the destination
   `distance` bytes ahead for writing (prefetchw: its read for ownership starts early), or
   zeroing the destination line with CLZERO (AMD), which claims a line without reading it,
   before it is stored. */
enum line_action { PREFETCH_SOURCE, PREFETCH_DESTINATION, CLZERO_DESTINATION };

__attribute__((always_inline, target("avx512f,prfchw"))) static inline void
copy_avx512_x4_with(char *d, const char *s, size_t n, size_t distance, enum line_action action) {
	__m512i head = LOAD512(s), tail = LOAD512(s + n - 64);
	char *last = d + n - 64;
	size_t skip = 64 - ((uintptr_t)d & 63);
	STOREU512(d, head);
	d += skip, s += skip, n -= skip;
	for (; n >= 256; n -= 256, d += 256, s += 256) {
		for (int k = 0; k < 4; k++) {
			if (action == PREFETCH_SOURCE) _mm_prefetch(s + distance + k * 64, _MM_HINT_T0);
			else if (action == PREFETCH_DESTINATION) _m_prefetchw(d + distance + k * 64);
			else __asm__ volatile("clzero" : : "a"(d + k * 64) : "memory");
		}
		__m512i a = LOAD512(s), b = LOAD512(s + 64), c = LOAD512(s + 128), e = LOAD512(s + 192);
		STOREA512(d, a), STOREA512(d + 64, b), STOREA512(d + 128, c), STOREA512(d + 192, e);
	}
	for (; n >= 64; n -= 64, d += 64, s += 64) STOREA512(d, LOAD512(s));
	STOREU512(last, tail);
	_mm256_zeroupper();
}

__attribute__((target("avx512f,prfchw"))) static void copy_avx512_x4_prefetch(char *d, const char *s, size_t n, size_t arg) {
	copy_avx512_x4_with(d, s, n, arg, PREFETCH_SOURCE);
}

__attribute__((target("avx512f,prfchw"))) static void copy_avx512_x4_prefetchw(char *d, const char *s, size_t n, size_t arg) {
	copy_avx512_x4_with(d, s, n, arg, PREFETCH_DESTINATION);
}

__attribute__((target("avx512f,prfchw"))) static void copy_avx512_clzero(char *d, const char *s, size_t n, size_t arg) {
	copy_avx512_x4_with(d, s, n, arg, CLZERO_DESTINATION);
}

/* rep movsb in pieces of `arg` bytes, the next piece's source prefetched (T0) before each. */
static void copy_movsb_pieces(char *d, const char *s, size_t n, size_t arg) {
	while (n > 0) {
		size_t piece = n < arg ? n : arg;
		for (size_t b = piece; b < 2 * piece && b < n; b += 64) _mm_prefetch(s + b, _MM_HINT_T0);
		size_t count = piece;
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(count) : : "memory");
		n -= piece;
	}
}

/* ---- what one thread reaches without copying (probes: no copy, not checked) ---- */

/* Reads every line (AVX-512 loads, summed so that they are not removed). */
__attribute__((target("avx512f"))) static void probe_read(char *d, const char *s, size_t n, size_t arg) {
	(void)arg;
	__m512i sum = _mm512_setzero_si512();
	for (size_t i = 0; i + 256 <= n; i += 256)
		sum = _mm512_xor_si512(sum, _mm512_xor_si512(_mm512_xor_si512(LOAD512(s + i), LOAD512(s + i + 64)),
		                                             _mm512_xor_si512(LOAD512(s + i + 128), LOAD512(s + i + 192))));
	_mm512_storeu_si512(d, sum);
	_mm256_zeroupper();
}

/* Writes every line through the caches (rep stosb), reading nothing. */
static void probe_write(char *d, const char *s, size_t n, size_t arg) {
	(void)s, (void)arg;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0x3C) : "memory");
}

/* Writes every line with non-temporal stores, reading nothing. */
__attribute__((target("avx512f"))) static void probe_stream_write(char *d, const char *s, size_t n, size_t arg) {
	(void)s, (void)arg;
	__m512i value = _mm512_set1_epi8(0x3C);
	for (size_t i = 0; i + 64 <= n; i += 64) _mm512_stream_si512((void *)(d + i), value);
	_mm256_zeroupper();
}

/* ---- non-temporal copies (no sfence: the driver fences, per copy or per four) ---- */

/* The destination's head up to a 64-byte boundary and its tail with memcpy, as the engine's
   dmahost_copy_nontemporal does; `lines` streams the whole lines between. */
typedef void (*lines_fn)(char *d, const char *s, size_t lines, size_t arg);

static inline void stream_copy(char *d, const char *s, size_t n, size_t arg, lines_fn lines) {
	size_t head = (size_t)(-(uintptr_t)d) & 63;
	memcpy(d, s, head);
	d += head, s += head, n -= head;
	size_t count = n / 64;
	lines(d, s, count, arg);
	memcpy(d + count * 64, s + count * 64, n - count * 64);
}

/* Four lines: the four loads, then the four non-temporal stores. */
__attribute__((always_inline, target("avx512f"))) static inline void stream_four_lines(char *d, const char *s) {
	__m512i a = LOAD512(s), b = LOAD512(s + 64), c = LOAD512(s + 128), e = LOAD512(s + 192);
	_mm512_stream_si512((void *)d, a), _mm512_stream_si512((void *)(d + 64), b);
	_mm512_stream_si512((void *)(d + 128), c), _mm512_stream_si512((void *)(d + 192), e);
}

/* The last `lines` lines one by one, and the end of the AVX-512 code (vzeroupper). */
__attribute__((always_inline, target("avx512f"))) static inline void stream_rest(char *d, const char *s, size_t lines) {
	for (size_t i = 0; i < lines; i++, d += 64, s += 64) _mm512_stream_si512((void *)d, LOAD512(s));
	_mm256_zeroupper();
}

/* The engine's kernel: one line per iteration. */
__attribute__((target("avx512f"))) static void lines_x1(char *d, const char *s, size_t lines, size_t arg) {
	(void)arg;
	stream_rest(d, s, lines);
}

/* Four lines per iteration, the four loads before the four stores. */
__attribute__((target("avx512f"))) static void lines_x4(char *d, const char *s, size_t lines, size_t arg) {
	(void)arg;
	size_t i = 0;
	for (; i + 4 <= lines; i += 4, d += 256, s += 256) {
		stream_four_lines(d, s);
	}
	stream_rest(d, s, lines - i);
}

/* Eight lines per iteration. */
__attribute__((target("avx512f"))) static void lines_x8(char *d, const char *s, size_t lines, size_t arg) {
	(void)arg;
	size_t i = 0;
	for (; i + 8 <= lines; i += 8, d += 512, s += 512) {
		__m512i v[8];
		for (int k = 0; k < 8; k++) v[k] = LOAD512(s + k * 64);
		for (int k = 0; k < 8; k++) _mm512_stream_si512((void *)(d + k * 64), v[k]);
	}
	stream_rest(d, s, lines - i);
}

/* Four lines per iteration, each line of the source prefetched (T0) `arg` bytes ahead. */
__attribute__((target("avx512f"))) static void lines_x4_prefetch(char *d, const char *s, size_t lines, size_t arg) {
	size_t i = 0;
	for (; i + 4 <= lines; i += 4, d += 256, s += 256) {
		for (int k = 0; k < 4; k++) _mm_prefetch(s + arg + k * 64, _MM_HINT_T0);
		stream_four_lines(d, s);
	}
	stream_rest(d, s, lines - i);
}

/* The first `arg` bytes of the source prefetched (NTA) before the loop: the start of a copy,
   where the hardware prefetcher has not found the stream yet. */
__attribute__((target("avx512f"))) static void lines_x4_start_nta(char *d, const char *s, size_t lines, size_t arg) {
	for (size_t b = 0; b < arg && b < lines * 64; b += 64) _mm_prefetch(s + b, _MM_HINT_NTA);
	lines_x4(d, s, lines, 0);
}

/* The same with T0. */
__attribute__((target("avx512f"))) static void lines_x4_start_t0(char *d, const char *s, size_t lines, size_t arg) {
	for (size_t b = 0; b < arg && b < lines * 64; b += 64) _mm_prefetch(s + b, _MM_HINT_T0);
	lines_x4(d, s, lines, 0);
}

/* At each 4 KiB boundary of the source, the first `arg` bytes of the next page prefetched (T0):
   hardware prefetchers stop at page boundaries. */
__attribute__((target("avx512f"))) static void lines_x4_next_page(char *d, const char *s, size_t lines, size_t arg) {
	const char *end = s + lines * 64;
	size_t i = 0;
	for (; i + 4 <= lines; i += 4, d += 256, s += 256) {
		if (((uintptr_t)s & 4095) == 0) {
			const char *next = s + 4096;
			for (size_t b = 0; b < arg && next + b < end; b += 64) _mm_prefetch(next + b, _MM_HINT_T0);
		}
		stream_four_lines(d, s);
	}
	stream_rest(d, s, lines - i);
}

/* One line per iteration, each line of the source prefetched (T0) `arg` bytes ahead. */
__attribute__((target("avx512f"))) static void lines_x1_prefetch(char *d, const char *s, size_t lines, size_t arg) {
	for (size_t i = 0; i < lines; i++, d += 64, s += 64) {
		_mm_prefetch(s + arg, _MM_HINT_T0);
		_mm512_stream_si512((void *)d, LOAD512(s));
	}
	_mm256_zeroupper();
}

#define STREAM_COPY(NAME, LINES)                                                                 \
	static void NAME(char *d, const char *s, size_t n, size_t arg) { stream_copy(d, s, n, arg, LINES); }

STREAM_COPY(nt_x1, lines_x1)
STREAM_COPY(nt_x4, lines_x4)
STREAM_COPY(nt_x8, lines_x8)
STREAM_COPY(nt_x4_prefetch, lines_x4_prefetch)
STREAM_COPY(nt_x4_start_nta, lines_x4_start_nta)
STREAM_COPY(nt_x4_start_t0, lines_x4_start_t0)
STREAM_COPY(nt_x4_next_page, lines_x4_next_page)
STREAM_COPY(nt_x1_prefetch, lines_x1_prefetch)

/* Two copies of n bytes interleaved in 4 KiB pieces (two streams in flight at once). */
static void nt_x4_pair(char *d1, const char *s1, char *d2, const char *s2, size_t n) {
	for (size_t done = 0; done < n; done += 4096) {
		size_t piece = n - done < 4096 ? n - done : 4096;
		stream_copy(d1 + done, s1 + done, piece, 0, lines_x4);
		stream_copy(d2 + done, s2 + done, piece, 0, lines_x4);
	}
}

/* ---- candidates ---- */

typedef void (*copy_fn)(char *d, const char *s, size_t n, size_t arg);

struct candidate {
	const char *name;
	copy_fn copy;      /* one copy; NULL for a pair kernel */
	size_t arg;        /* prefetch distance or length, where the kernel takes one */
	int fence_every;   /* sfence after this many copies; 0: none (cached stores) */
	int pairs;         /* copies two slots at once with nt_x4_pair */
	int needs;         /* 0, 2 (AVX2), 512 (AVX-512F) or 513 (AVX-512F and CLZERO) */
	int probe;         /* not a copy: a limit of the machine, not checked */
};

static const struct candidate hot_candidates[] = {
	{"memcpy (glibc)", copy_memcpy, 0, 0, 0, 0, 0},
	{"rep movsb", copy_movsb, 0, 0, 0, 0, 0},
	{"avx512 x2 aligned", copy_avx512_x2, 0, 0, 0, 512, 0},
	{"avx512 x4 aligned", copy_avx512_x4, 0, 0, 0, 512, 0},
	{"avx512 x8 aligned", copy_avx512_x8, 0, 0, 0, 512, 0},
	{"avx512 x4 pf 512", copy_avx512_x4_prefetch, 512, 0, 0, 512, 0},
	{"avx512 x4 pf 2048", copy_avx512_x4_prefetch, 2048, 0, 0, 512, 0},
	{"avx512 x4 pfw 1024", copy_avx512_x4_prefetchw, 1024, 0, 0, 512, 0},
	{"avx512 clzero", copy_avx512_clzero, 0, 1, 0, 513, 0},
	{"rep movsb 4K pf", copy_movsb_pieces, 4096, 0, 0, 0, 0},
	{"rep movsb 16K pf", copy_movsb_pieces, 16384, 0, 0, 0, 0},
	{"avx2 x4 aligned", copy_avx2_x4, 0, 0, 0, 2, 0},
	{"avx2 x8 aligned", copy_avx2_x8, 0, 0, 0, 2, 0},
	{"probe: read only", probe_read, 0, 0, 0, 512, 1},
	{"probe: write only", probe_write, 0, 0, 0, 0, 1},
};

static const struct candidate cold_candidates[] = {
	{"memcpy (glibc)", copy_memcpy, 0, 0, 0, 0, 0},
	{"rep movsb", copy_movsb, 0, 0, 0, 0, 0},
	{"nt x1 (engine)", nt_x1, 0, 1, 0, 512, 0},
	{"nt x4", nt_x4, 0, 1, 0, 512, 0},
	{"nt x8", nt_x8, 0, 1, 0, 512, 0},
	{"nt x4 pf 256", nt_x4_prefetch, 256, 1, 0, 512, 0},
	{"nt x4 pf 512", nt_x4_prefetch, 512, 1, 0, 512, 0},
	{"nt x4 pf 4096", nt_x4_prefetch, 4096, 1, 0, 512, 0},
	{"nt x4 start nta 2K", nt_x4_start_nta, 2048, 1, 0, 512, 0},
	{"nt x4 start t0 1K", nt_x4_start_t0, 1024, 1, 0, 512, 0},
	{"nt x4 next page 512", nt_x4_next_page, 512, 1, 0, 512, 0},
	{"nt x1 fence/4", nt_x1, 0, 4, 0, 512, 0},
	{"nt x4 fence/4", nt_x4, 0, 4, 0, 512, 0},
	{"nt x4 pairs 4K", NULL, 0, 1, 1, 512, 0},
	{"nt x1 pf 256", nt_x1_prefetch, 256, 1, 0, 512, 0},
	{"nt x1 pf 256 fence/4", nt_x1_prefetch, 256, 4, 0, 512, 0},
	{"nt x1 fence/32", nt_x1, 0, 32, 0, 512, 0},
	{"probe: read only", probe_read, 0, 0, 0, 512, 1},
	{"probe: nt write only", probe_stream_write, 0, 1, 0, 512, 1},
};

static int available(const struct candidate *c) {
	return c->needs == 0 || (c->needs == 2 && has_avx2) || (c->needs == 512 && has_avx512) ||
	       (c->needs == 513 && has_avx512 && has_clzero);
}

#endif /* DMAHOST_KERNEL_CANDIDATES_H */
