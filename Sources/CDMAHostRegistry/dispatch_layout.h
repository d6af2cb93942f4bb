/*
 * DMAHost — internal: what the assembly dispatchers (dispatch.S) know of a domain record, as
 * plain numbers an assembler reads. dispatch_checks.c asserts each against the C layout of
 * struct spdk_memory_domain (include/dmahost_registry.h) and the C value of ENOTSUP, so the
 * build fails when they drift apart.
 */
#ifndef DMAHOST_DISPATCH_LAYOUT_H
#define DMAHOST_DISPATCH_LAYOUT_H

/** Byte offsets of the callback slots in struct spdk_memory_domain. */
#define DMAHOST_RECORD_PULL_CB 0
#define DMAHOST_RECORD_PUSH_CB 8
#define DMAHOST_RECORD_TRANSFER_CB 16
#define DMAHOST_RECORD_TRANSLATE_CB 24
#define DMAHOST_RECORD_INVALIDATE_CB 32
#define DMAHOST_RECORD_MEMZERO_CB 40

/** What a dispatcher returns for a NULL domain: -ENOTSUP on Linux. */
#define DMAHOST_DISPATCH_NULL_RC (-95)

#endif /* DMAHOST_DISPATCH_LAYOUT_H */
