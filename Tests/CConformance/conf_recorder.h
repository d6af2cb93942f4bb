/*
 * DMAHost C ABI conformance — recording callbacks for the dispatch sections.
 *
 * Each of the six callback kinds has two variants (A and B) so that a check can tell which
 * domain's callback ran and whether a setter overwrote. A variant records every argument it
 * received in g_rec, returns g_rec_rc, and, when g_rec_complete is set, calls cpl_cb once
 * with g_rec_cpl_rc before returning (an immediate completion).
 */
#ifndef DMAHOST_CONFORMANCE_RECORDER_H
#define DMAHOST_CONFORMANCE_RECORDER_H

#include "conformance.h"

/** Which callback variant ran last. */
enum rec_variant { REC_NONE = 0, REC_A = 1, REC_B = 2 };

/** Arguments of the last callback invocation, and how many invocations there were. */
struct rec_call {
	int calls;
	enum rec_variant variant;
	struct spdk_memory_domain *domain;       /* first argument */
	void *domain_ctx;
	struct iovec *iov;                        /* first iovec array */
	uint32_t iovcnt;
	struct iovec *iov2;                       /* second iovec array (pull, push, transfer) */
	uint32_t iovcnt2;
	struct spdk_memory_domain *other_domain;  /* transfer: src_domain; translate: dst_domain */
	void *other_ctx;                          /* transfer: src_domain_ctx; translate: dst_domain_ctx */
	struct spdk_memory_domain_translation_result *translation; /* transfer and translate */
	void *addr;                               /* translate */
	size_t len;                               /* translate */
	spdk_memory_domain_data_cpl_cb cpl_cb;
	void *cpl_cb_arg;
};

extern struct rec_call g_rec;
/** What the recording callbacks return. */
extern int g_rec_rc;
/** When true, the data callbacks complete at once: cpl_cb(cpl_cb_arg, g_rec_cpl_rc). */
extern bool g_rec_complete;
extern int g_rec_cpl_rc;

/** Clears g_rec and sets what the callbacks do next. */
void rec_reset(int rc, bool complete, int cpl_rc);

/** A completion callback that counts its calls in g_cpl_calls and keeps the last rc and arg. */
void rec_cpl(void *arg, int rc);
extern int g_cpl_calls;
extern int g_cpl_rc;
extern void *g_cpl_arg;

int rec_pull_a(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct iovec *, uint32_t,
	       spdk_memory_domain_data_cpl_cb, void *);
int rec_pull_b(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct iovec *, uint32_t,
	       spdk_memory_domain_data_cpl_cb, void *);
int rec_push_a(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct iovec *, uint32_t,
	       spdk_memory_domain_data_cpl_cb, void *);
int rec_push_b(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct iovec *, uint32_t,
	       spdk_memory_domain_data_cpl_cb, void *);
int rec_transfer_a(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct spdk_memory_domain *, void *,
		   struct iovec *, uint32_t, struct spdk_memory_domain_translation_result *,
		   spdk_memory_domain_data_cpl_cb, void *);
int rec_transfer_b(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, struct spdk_memory_domain *, void *,
		   struct iovec *, uint32_t, struct spdk_memory_domain_translation_result *,
		   spdk_memory_domain_data_cpl_cb, void *);
int rec_translate_a(struct spdk_memory_domain *, void *, struct spdk_memory_domain *,
		    struct spdk_memory_domain_translation_ctx *, void *, size_t,
		    struct spdk_memory_domain_translation_result *);
int rec_translate_b(struct spdk_memory_domain *, void *, struct spdk_memory_domain *,
		    struct spdk_memory_domain_translation_ctx *, void *, size_t,
		    struct spdk_memory_domain_translation_result *);
void rec_invalidate_a(struct spdk_memory_domain *, void *, struct iovec *, uint32_t);
void rec_invalidate_b(struct spdk_memory_domain *, void *, struct iovec *, uint32_t);
int rec_memzero_a(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, spdk_memory_domain_data_cpl_cb, void *);
int rec_memzero_b(struct spdk_memory_domain *, void *, struct iovec *, uint32_t, spdk_memory_domain_data_cpl_cb, void *);

#endif /* DMAHOST_CONFORMANCE_RECORDER_H */
