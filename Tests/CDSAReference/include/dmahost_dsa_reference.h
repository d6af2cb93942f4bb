/*
 * DMAHost tests — reference DSA encodings filled through the kernel's own structs.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * For the DSA encoder tests: fills `struct dsa_hw_desc` and `struct dsa_completion_record`
 * from `linux/idxd.h` field by field (bitfields included) and returns their bytes, and exposes
 * the header's opcode, flag and status values and field offsets, so the Swift encoder is
 * checked against the kernel's definition of the layout rather than against itself.
 */

#ifndef DMAHOST_DSA_REFERENCE_H
#define DMAHOST_DSA_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/** Fields of a descriptor, by name (a union member is given by the operation's meaning). */
struct dmahost_ref_desc_fields {
	uint32_t pasid;
	uint32_t priv;
	uint32_t flags;
	uint32_t opcode;
	uint64_t completion_addr;
	/** src_addr, pattern or desc_list_addr (one union). */
	uint64_t src_or_pattern_or_list;
	/** dst_addr. */
	uint64_t dst_addr;
	/** xfer_size or desc_count (one union). */
	uint32_t xfer_size_or_count;
	uint16_t int_handle;
};

/** Fills a `struct dsa_hw_desc` from \b fields and copies its 64 bytes to \b out. \return sizeof(struct dsa_hw_desc). */
size_t dmahost_ref_dsa_desc(const struct dmahost_ref_desc_fields *fields, uint8_t out[64]);

/** Fills a `struct dsa_completion_record` and copies its 32 bytes to \b out. \return its size. */
size_t dmahost_ref_dsa_completion(uint8_t status, uint8_t result, uint32_t bytes_completed, uint64_t fault_addr,
				  uint32_t invalid_flags, uint8_t out[32]);

/** A named constant of linux/idxd.h. */
struct dmahost_ref_constant {
	const char *name;
	uint64_t value;
};

/** The opcodes, flags and status codes of linux/idxd.h the encoder uses; \b count receives the number. */
const struct dmahost_ref_constant *dmahost_ref_constants(size_t *count);

/** offsetof in struct dsa_hw_desc: completion_addr, src_addr, dst_addr, xfer_size, int_handle. */
size_t dmahost_ref_desc_offset(const char *field);

/** offsetof in struct dsa_completion_record: status, result, bytes_completed, fault_addr. */
size_t dmahost_ref_completion_offset(const char *field);

#endif /* DMAHOST_DSA_REFERENCE_H */
