/*
 * DMAHost — the argument contract of the data operations.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * The checks every memory domain runs on the arguments of pull, push, transfer, memzero and
 * translate before it starts anything, so that every domain answers the same bad input with
 * the same errno. Header only (static inline functions, no state, no allocation): C plugins
 * include it and call it first in each callback; Swift code calls it through `IOVecContract`
 * (module DMADriverKit); the system domain runs it too.
 *
 * The rule behind it: a completion with 0 means that every byte the caller described was
 * moved. A domain must therefore refuse, synchronously, any request it would otherwise
 * truncate, skip or only partly fill. The completion callback carries no byte count, so both
 * sides of a copy must describe the same number of bytes.
 *
 * ## pull, push, transfer and memzero
 *
 * Checks run in this order; the first failure is returned (as a negated errno) and the
 * completion callback is then never called:
 *
 * 1. `cpl_cb` is NULL: -EINVAL.
 * 2. The source list, then the destination list (memzero has one list, the destination).
 *    For each list:
 *    - a count above 0 with a NULL array: -EINVAL;
 *    - then each entry, in order:
 *      - `iov_len` above SSIZE_MAX (\ref DMAHOST_IOV_LEN_MAX): -EINVAL;
 *      - `iov_len` above 0 with a NULL `iov_base`: -EFAULT;
 *      - `iov_base + iov_len` not representable (the range wraps past the end of the
 *        address space): -EFAULT;
 *      - the running total of the list so far above SSIZE_MAX: -EINVAL.
 *      An entry of length 0 is allowed, whatever its base, and is ignored.
 *    - a list whose total is 0 (count 0, or only empty entries): -EINVAL (nothing to move:
 *      a completion with 0 would claim that bytes moved).
 * 3. pull, push, transfer: the destination total differs from the source total: -EINVAL (no
 *    truncation, no partial fill).
 *
 * Which list is the source:
 *
 * | Operation | Source | Destination |
 * | --- | --- | --- |
 * | pull | the domain's `src_iov` | the local `dst_iov` |
 * | push | the local `src_iov` | the domain's `dst_iov` |
 * | transfer | `src_iov` (in `src_domain`) | `dst_iov` (in `dst_domain`) |
 * | memzero | — | `iov` |
 *
 * ## translate
 *
 * In this order: `result` is NULL or `result->size` is smaller than
 * `sizeof(struct spdk_memory_domain_translation_result)`: -EINVAL; `len` is 0: -EINVAL; `len`
 * is above SSIZE_MAX: -EINVAL; `addr` is NULL: -EFAULT; `addr + len` is not representable:
 * -EFAULT. (These are the rules of one iovec entry, except that a translation of 0 bytes is
 * refused: there is nothing to describe.)
 *
 * What a domain may refuse after these checks is its own business (an address outside its
 * memory: -EFAULT; a queue that is full: -EAGAIN; a destination domain it cannot reach:
 * -ENOTSUP), but it must never accept a request and then move fewer bytes than described.
 *
 * Threads: every function here is pure (it reads its arguments and writes only `*total`)
 * and may be called from any thread.
 */

#ifndef DMAHOST_IOVEC_H
#define DMAHOST_IOVEC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk/dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest length of one entry, and of a list's total: SSIZE_MAX (the byte count a `read`
 *  or `write` can report), spelled without `<limits.h>`'s POSIX feature macros. */
#define DMAHOST_IOV_LEN_MAX ((size_t)(SIZE_MAX >> 1))

/**
 * Check one iovec list against the contract (step 2 of the file documentation).
 *
 * \param iov The entries; may be NULL only when \b iovcnt is 0. Only read.
 * \param iovcnt Number of entries in \b iov.
 * \param total Receives the total length of the list (1 ... SSIZE_MAX) on success; may be
 * NULL. Not written on failure.
 * \return 0 when the list is valid; -EINVAL for a NULL array with entries, an entry longer
 * than SSIZE_MAX, a total above SSIZE_MAX or a total of 0; -EFAULT for an entry with a length
 * and a NULL base, or whose range wraps past the end of the address space. The first failing
 * check, in the documented order, decides.
 */
static inline int dmahost_iov_check_list(const struct iovec *iov, uint32_t iovcnt, size_t *total)
{
	size_t sum = 0;

	if (iovcnt > 0 && iov == NULL) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len;

		if (len == 0) {
			continue;
		}
		if (len > DMAHOST_IOV_LEN_MAX) {
			return -EINVAL;
		}
		if (iov[i].iov_base == NULL) {
			return -EFAULT;
		}
		if (len > UINTPTR_MAX - (uintptr_t)iov[i].iov_base) {
			return -EFAULT;
		}
		/* Both terms are at most DMAHOST_IOV_LEN_MAX: the sum cannot wrap. */
		sum += len;
		if (sum > DMAHOST_IOV_LEN_MAX) {
			return -EINVAL;
		}
	}
	if (sum == 0) {
		return -EINVAL;
	}
	if (total != NULL) {
		*total = sum;
	}
	return 0;
}

/**
 * Check the arguments of a pull, push or transfer (steps 1 to 3 of the file documentation).
 * Call it first in the callback, with the lists in the roles of the table above.
 *
 * \param cpl_cb The operation's completion callback (only compared with NULL).
 * \param src_iov Source entries; NULL only with \b src_iovcnt 0. Only read.
 * \param src_iovcnt Number of entries in \b src_iov.
 * \param dst_iov Destination entries; NULL only with \b dst_iovcnt 0. Only read.
 * \param dst_iovcnt Number of entries in \b dst_iov.
 * \param total Receives the number of bytes to move (the same on both sides) on success; may
 * be NULL. Not written on failure.
 * \return 0 when the operation may start; otherwise -EINVAL or -EFAULT, to be returned by the
 * callback without calling \b cpl_cb.
 */
static inline int dmahost_iov_check_copy(spdk_memory_domain_data_cpl_cb cpl_cb,
		const struct iovec *src_iov, uint32_t src_iovcnt,
		const struct iovec *dst_iov, uint32_t dst_iovcnt, size_t *total)
{
	size_t src_total = 0;
	size_t dst_total = 0;
	int rc;

	if (cpl_cb == NULL) {
		return -EINVAL;
	}
	rc = dmahost_iov_check_list(src_iov, src_iovcnt, &src_total);
	if (rc != 0) {
		return rc;
	}
	rc = dmahost_iov_check_list(dst_iov, dst_iovcnt, &dst_total);
	if (rc != 0) {
		return rc;
	}
	if (dst_total != src_total) {
		return -EINVAL;
	}
	if (total != NULL) {
		*total = src_total;
	}
	return 0;
}

/**
 * Check the arguments of a memzero (steps 1 and 2 of the file documentation; the one list is
 * the destination).
 *
 * \param cpl_cb The operation's completion callback (only compared with NULL).
 * \param iov Buffers to zero; NULL only with \b iovcnt 0. Only read.
 * \param iovcnt Number of entries in \b iov.
 * \param total Receives the number of bytes to zero on success; may be NULL. Not written on
 * failure.
 * \return 0 when the operation may start; otherwise -EINVAL or -EFAULT, to be returned by the
 * callback without calling \b cpl_cb.
 */
static inline int dmahost_iov_check_memzero(spdk_memory_domain_data_cpl_cb cpl_cb,
		const struct iovec *iov, uint32_t iovcnt, size_t *total)
{
	if (cpl_cb == NULL) {
		return -EINVAL;
	}
	return dmahost_iov_check_list(iov, iovcnt, total);
}

/**
 * Check the arguments of a translate (section "translate" of the file documentation).
 * Call it first in the callback.
 *
 * \param addr Start of the buffer to translate (only compared, never dereferenced).
 * \param len Length of the buffer in bytes.
 * \param result The caller's result structure; only its \b size is read.
 * \return 0 when the translation may be attempted; -EINVAL for a NULL or too small \b result,
 * a \b len of 0 or above SSIZE_MAX; -EFAULT for a NULL \b addr or a range that wraps past the
 * end of the address space.
 */
static inline int dmahost_iov_check_translate(const void *addr, size_t len,
		const struct spdk_memory_domain_translation_result *result)
{
	if (result == NULL || result->size < sizeof(struct spdk_memory_domain_translation_result)) {
		return -EINVAL;
	}
	if (len == 0 || len > DMAHOST_IOV_LEN_MAX) {
		return -EINVAL;
	}
	if (addr == NULL) {
		return -EFAULT;
	}
	if (len > UINTPTR_MAX - (uintptr_t)addr) {
		return -EFAULT;
	}
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_IOVEC_H */
