/*
 * DMAHost tests — reference DSA encodings (see dmahost_dsa_reference.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

#include "dmahost_dsa_reference.h"

#include <linux/idxd.h>
#include <string.h>

_Static_assert(sizeof(struct dsa_hw_desc) == 64, "dsa_hw_desc is 64 bytes");
_Static_assert(sizeof(struct dsa_completion_record) == 32, "dsa_completion_record is 32 bytes");

size_t dmahost_ref_dsa_desc(const struct dmahost_ref_desc_fields *f, uint8_t out[64])
{
	struct dsa_hw_desc desc;
	memset(&desc, 0, sizeof(desc));
	desc.pasid = f->pasid;
	desc.priv = f->priv;
	desc.flags = f->flags;
	desc.opcode = f->opcode;
	desc.completion_addr = f->completion_addr;
	switch (f->opcode) {
	case DSA_OPCODE_MEMFILL:
		desc.pattern = f->src_or_pattern_or_list;
		break;
	case DSA_OPCODE_BATCH:
		desc.desc_list_addr = f->src_or_pattern_or_list;
		break;
	default:
		desc.src_addr = f->src_or_pattern_or_list;
		break;
	}
	desc.dst_addr = f->dst_addr;
	if (f->opcode == DSA_OPCODE_BATCH)
		desc.desc_count = f->xfer_size_or_count;
	else
		desc.xfer_size = f->xfer_size_or_count;
	desc.int_handle = f->int_handle;
	memcpy(out, &desc, sizeof(desc));
	return sizeof(desc);
}

size_t dmahost_ref_dsa_completion(uint8_t status, uint8_t result, uint32_t bytes_completed, uint64_t fault_addr,
				  uint32_t invalid_flags, uint8_t out[32])
{
	struct dsa_completion_record record;
	memset(&record, 0, sizeof(record));
	record.status = status;
	record.result = result;
	record.bytes_completed = bytes_completed;
	record.fault_addr = fault_addr;
	record.invalid_flags = invalid_flags;
	memcpy(out, (const void *)&record, sizeof(record));
	return sizeof(record);
}

#define C(x) { #x, (uint64_t)(x) }
static const struct dmahost_ref_constant constants[] = {
	C(DSA_OPCODE_NOOP), C(DSA_OPCODE_BATCH), C(DSA_OPCODE_DRAIN), C(DSA_OPCODE_MEMMOVE), C(DSA_OPCODE_MEMFILL),
	C(IDXD_OP_FLAG_FENCE), C(IDXD_OP_FLAG_BOF), C(IDXD_OP_FLAG_CRAV), C(IDXD_OP_FLAG_RCR), C(IDXD_OP_FLAG_RCI),
	C(IDXD_OP_FLAG_CRSTS), C(IDXD_OP_FLAG_CR), C(IDXD_OP_FLAG_CC), C(IDXD_OP_FLAG_ADDR1_TCS), C(IDXD_OP_FLAG_ADDR2_TCS),
	C(IDXD_OP_FLAG_ADDR3_TCS), C(IDXD_OP_FLAG_CR_TCS), C(IDXD_OP_FLAG_STORD), C(IDXD_OP_FLAG_DRDBK), C(IDXD_OP_FLAG_DSTS),
	C(DSA_COMP_NONE), C(DSA_COMP_SUCCESS), C(DSA_COMP_SUCCESS_PRED), C(DSA_COMP_PAGE_FAULT_NOBOF), C(DSA_COMP_PAGE_FAULT_IR),
	C(DSA_COMP_BATCH_FAIL), C(DSA_COMP_BATCH_PAGE_FAULT), C(DSA_COMP_BAD_OPCODE), C(DSA_COMP_INVALID_FLAGS),
	C(DSA_COMP_NOZERO_RESERVE), C(DSA_COMP_XFER_ERANGE), C(DSA_COMP_DESC_CNT_ERANGE), C(DSA_COMP_OVERLAP_BUFFERS),
	C(DSA_COMP_DESCLIST_ALIGN), C(DSA_COMP_CRA_XLAT), C(DSA_COMP_CRA_ALIGN), C(DSA_COMP_ADDR_ALIGN), C(DSA_COMP_PRIV_BAD),
	C(DSA_COMP_HW_ERR1), C(DSA_COMP_TRANSLATION_FAIL), C(DSA_COMP_STATUS_MASK), C(DSA_COMP_STATUS_WRITE),
};
#undef C

const struct dmahost_ref_constant *dmahost_ref_constants(size_t *count)
{
	*count = sizeof(constants) / sizeof(constants[0]);
	return constants;
}

size_t dmahost_ref_desc_offset(const char *field)
{
	if (strcmp(field, "completion_addr") == 0)
		return offsetof(struct dsa_hw_desc, completion_addr);
	if (strcmp(field, "src_addr") == 0)
		return offsetof(struct dsa_hw_desc, src_addr);
	if (strcmp(field, "dst_addr") == 0)
		return offsetof(struct dsa_hw_desc, dst_addr);
	if (strcmp(field, "xfer_size") == 0)
		return offsetof(struct dsa_hw_desc, xfer_size);
	if (strcmp(field, "int_handle") == 0)
		return offsetof(struct dsa_hw_desc, int_handle);
	return (size_t)-1;
}

size_t dmahost_ref_completion_offset(const char *field)
{
	if (strcmp(field, "status") == 0)
		return offsetof(struct dsa_completion_record, status);
	if (strcmp(field, "result") == 0)
		return offsetof(struct dsa_completion_record, result);
	if (strcmp(field, "bytes_completed") == 0)
		return offsetof(struct dsa_completion_record, bytes_completed);
	if (strcmp(field, "fault_addr") == 0)
		return offsetof(struct dsa_completion_record, fault_addr);
	return (size_t)-1;
}
