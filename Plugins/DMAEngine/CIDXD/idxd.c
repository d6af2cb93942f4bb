/*
 * DMAHost — Intel DSA/IAX work-queue submission primitives (see dmahost_idxd.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

#include "dmahost_idxd.h"

#if defined(__x86_64__)
#include <cpuid.h>

static uint32_t cpuid7_ecx(void)
{
	unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
	if (__get_cpuid_max(0, 0) < 7)
		return 0;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	return ecx;
}

int dmahost_cpu_has_movdir64b(void)
{
	return (cpuid7_ecx() >> 28) & 1;
}

int dmahost_cpu_has_enqcmd(void)
{
	return (cpuid7_ecx() >> 29) & 1;
}

void dmahost_idxd_movdir64b(volatile void *portal, const void *descriptor)
{
	__asm__ volatile("sfence" ::: "memory");
	/* movdir64b (%rdx), %rax: 66 0F 38 F8 /r with ModRM 0x02 (reg = rax, rm = [rdx]). */
	__asm__ volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
			 :
			 : "a"(portal), "d"(descriptor)
			 : "memory");
}

int dmahost_idxd_enqcmd(volatile void *portal, const void *descriptor)
{
	uint8_t retry;
	__asm__ volatile("sfence" ::: "memory");
	/* enqcmd (%rdx), %rax: F2 0F 38 F8 /r; ZF=1 when the WQ did not accept the descriptor. */
	__asm__ volatile(".byte 0xf2, 0x0f, 0x38, 0xf8, 0x02\n\t"
			 "setz %0"
			 : "=r"(retry)
			 : "a"(portal), "d"(descriptor)
			 : "memory", "cc");
	return retry;
}

void dmahost_idxd_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

#else

int dmahost_cpu_has_movdir64b(void)
{
	return 0;
}

int dmahost_cpu_has_enqcmd(void)
{
	return 0;
}

void dmahost_idxd_movdir64b(volatile void *portal, const void *descriptor)
{
	(void)portal;
	(void)descriptor;
}

int dmahost_idxd_enqcmd(volatile void *portal, const void *descriptor)
{
	(void)portal;
	(void)descriptor;
	return 1;
}

void dmahost_idxd_pause(void)
{
}

#endif

void dmahost_idxd_touch(void *address, int write)
{
	if (write)
		__atomic_fetch_add((uint8_t *)address, 0, __ATOMIC_RELAXED);
	else
		(void)*(volatile uint8_t *)address;
}

uint8_t dmahost_idxd_completion_status(const volatile void *record)
{
	return *(const volatile uint8_t *)record;
}
