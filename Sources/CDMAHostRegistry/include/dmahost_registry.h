/*
 * DMAHost — internal: the layout of a memory domain record and the registry it lives in.
 * Not installed, not part of any ABI. The logic that uses these lives in Swift
 * (Sources/DMAHost/Core); the layout is C so that the dispatch hot path reads plain
 * fields with no reference counting or exclusivity checks, and so that all registry state
 * is statically initialised storage guarded by one mutex (a futex word).
 *
 * Life of a record: create allocates it, appends it to the list (and, when it has an id, to
 * the chain of its id in the id index) and enters its address in the address table as live.
 * Destroy unlinks it from both, marks it destroyed (flag, callbacks cleared), turns its table
 * entry into a tombstone and buries it in the graveyard. The
 * record's memory is freed when it leaves the quarantine (DMAHOST_QUARANTINE_RECORDS later
 * destroys); its tombstone is dropped when it leaves the graveyard (DMAHOST_GRAVEYARD_RECORDS
 * later destroys), or earlier if a new record is allocated at the same address.
 */
#ifndef DMAHOST_REGISTRY_H
#define DMAHOST_REGISTRY_H

#include <stdint.h>
#include "spdk/dma.h"

#pragma clang diagnostic ignored "-Wnullability-completeness"

/** One memory domain. Allocated with calloc; freed when it leaves the quarantine.
 *  Its six callback slots are never NULL (the dispatchers of dispatch.S jump through them
 *  unchecked): a slot without a callback holds the matching dmahost_unsupported_* stub. */
struct spdk_memory_domain {
	spdk_memory_domain_pull_data_cb pull_cb;
	spdk_memory_domain_push_data_cb push_cb;
	spdk_memory_domain_transfer_data_cb transfer_cb;
	spdk_memory_domain_translate_memory_cb translate_cb;
	spdk_memory_domain_invalidate_data_cb invalidate_cb;
	spdk_memory_domain_memzero_cb memzero_cb;
	/** Registry links, guarded by the registry mutex. NULL once the record is destroyed
	 *  (next then links the records whose freeing is deferred, see reclamation_holds). */
	struct spdk_memory_domain *next;
	struct spdk_memory_domain *prev;
	/** Links of the chain of live records with the same id, in creation order (the id
	 *  index), guarded by the registry mutex. NULL when the record has no id, when it is the
	 *  end of its chain, and once it is destroyed. */
	struct spdk_memory_domain *id_next;
	struct spdk_memory_domain *id_prev;
	/** Library-owned copy of the id (NULL when none). */
	char *id;
	/** Hash of the id (IDIndex in Sources/DMAHost/Core), set under the registry mutex when
	 *  the record enters the id index; 0 when the record has no id. */
	uint64_t id_hash;
	/** Library-owned copy of the context (NULL when none). */
	struct spdk_memory_domain_ctx *ctx;
	/** Library-owned copy of the user context (NULL when none; then user_ctx_size is 0). */
	void *user_ctx;
	size_t user_ctx_size;
	int32_t type;
	/** DMAHOST_DOMAIN_FLAG_* bits, written under the registry mutex. */
	uint32_t flags;
	/** Creation sequence number, assigned under the registry mutex when the record is
	 *  appended: strictly increasing along the list. The system domain has 0. */
	uint64_t seq;
};

/*
 * What a callback slot holds when the domain has no such callback (never set, cleared with
 * NULL, or the domain destroyed): pull, push, transfer, translate and memzero return -ENOTSUP,
 * invalidate does nothing, as spdk/dma.h says of a domain without the callback. Internal to
 * libDMAHost.so (hidden).
 */
__attribute__((visibility("hidden"))) int dmahost_unsupported_pull(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
	struct iovec *src_iov, uint32_t src_iovcnt, struct iovec *dst_iov, uint32_t dst_iovcnt,
	spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
__attribute__((visibility("hidden"))) int dmahost_unsupported_push(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
	struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
	spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
__attribute__((visibility("hidden"))) int dmahost_unsupported_transfer(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
	struct iovec *dst_iov, uint32_t dst_iovcnt, struct spdk_memory_domain *src_domain, void *src_domain_ctx,
	struct iovec *src_iov, uint32_t src_iovcnt, struct spdk_memory_domain_translation_result *src_translation,
	spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
__attribute__((visibility("hidden"))) int dmahost_unsupported_translate(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
	struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
	void *addr, size_t len, struct spdk_memory_domain_translation_result *result);
__attribute__((visibility("hidden"))) void dmahost_unsupported_invalidate(struct spdk_memory_domain *domain, void *domain_ctx,
	struct iovec *iov, uint32_t iovcnt);
__attribute__((visibility("hidden"))) int dmahost_unsupported_memzero(struct spdk_memory_domain *domain, void *domain_ctx,
	struct iovec *iov, uint32_t iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);

/** The domain is the static system domain and is never freed. */
#define DMAHOST_DOMAIN_FLAG_SYSTEM 1u
/** The domain was destroyed: it is out of the list, its callbacks are cleared, and it waits
 *  in the quarantine. */
#define DMAHOST_DOMAIN_FLAG_DESTROYED 2u

/** Destroyed records stay allocated (readable, their callbacks cleared) for this many later
 *  destroys. Stated in spdk/dma.h; change both together. */
#define DMAHOST_QUARANTINE_RECORDS 1024u
/** A destroyed record's address stays known to get_next (as a tombstone) for this many
 *  later destroys. A power of two, at least DMAHOST_QUARANTINE_RECORDS. */
#define DMAHOST_GRAVEYARD_RECORDS 16384u

/** One slot of the address table. */
struct dmahost_address_slot {
	/** Address of a record; 0 marks an empty slot. */
	uintptr_t address;
	/** The record's seq shifted left by one; the low bit is set when the record is destroyed
	 *  (the entry is a tombstone). */
	uint64_t state;
};

/**
 * The addresses of live records and the tombstones of destroyed ones: an open-addressing
 * hash table with linear probing, at most half full. Lets get_next, destroy and the setters
 * decide what a pointer is without dereferencing it. The system domain is not in it.
 */
struct dmahost_address_table {
	/** calloc'd array of capacity slots; NULL until the first record is created. */
	struct dmahost_address_slot *slots;
	/** 0 or a power of two. */
	uint64_t capacity;
	/** Occupied slots. */
	uint64_t count;
};

/** Bytes of an id kept in its slot, its NUL included; a slot is 64 bytes, one cache line. */
#define DMAHOST_ID_SHORT_BYTES 31
/** Where short_key lies in a slot (checked in registry_storage.c). */
#define DMAHOST_ID_SHORT_KEY_OFFSET 32

/** One slot of the id index: the chain of live records that share one id. */
struct dmahost_id_slot {
	/** Hash of the id, compared before the id itself. */
	uint64_t hash;
	/** Oldest record of the chain; NULL marks an empty slot. */
	struct spdk_memory_domain *first;
	/** Newest record of the chain. */
	struct spdk_memory_domain *last;
	/** The id: the copy the oldest record owns (so that a lookup never reads a record). */
	const char *key;
	/** A copy of the id when it is shorter than DMAHOST_ID_SHORT_BYTES (short is 1): a lookup
	 *  then compares within the slot's own cache line. Most ids are ("cpu:0", "rdma:mlx5_0"). */
	char short_key[DMAHOST_ID_SHORT_BYTES];
	uint8_t short_id;
};

/**
 * The id index: for each id that live records (the system domain included) carry, the chain
 * of those records in creation order, so that get_first(id) finds its answer without walking
 * the list. An open-addressing hash table with linear probing, at most half full.
 */
struct dmahost_id_index {
	/** Zeroed array of capacity slots, aligned to 64 bytes; NULL until the first record is
	 *  created. */
	struct dmahost_id_slot *slots;
	/** 0 or a power of two. */
	uint64_t capacity;
	/** Occupied slots (distinct ids). */
	uint64_t count;
};

/** A destroyed record in the graveyard. */
struct dmahost_grave {
	/** The record; its memory is freed once it leaves the quarantine, after which only its
	 *  address is used (never dereferenced). */
	struct spdk_memory_domain *record;
	/** Its creation sequence number. */
	uint64_t seq;
};

/** The process-wide registry: a doubly linked list in creation order, and its indexes. */
struct dmahost_registry {
	struct spdk_memory_domain *head;
	struct spdk_memory_domain *tail;
	uint64_t count;
	/** Sequence number given to the last record appended. */
	uint64_t last_seq;
	struct dmahost_address_table addresses;
	struct dmahost_id_index ids;
	/** Number of records destroyed so far. Destroy number n (from 0) is buried in
	 *  dmahost_graves[n % DMAHOST_GRAVEYARD_RECORDS]. */
	uint64_t destroyed;
	/** While not 0, records leaving the quarantine are put on the deferred list instead of
	 *  being freed; the last release frees them. */
	uint64_t reclamation_holds;
	/** Records whose freeing is deferred, linked through their next field. */
	struct spdk_memory_domain *deferred;
};

/** The registry, statically initialised with the system domain as its only member. */
extern struct dmahost_registry dmahost_registry_instance;
/** The system domain, statically initialised (exists from load time). */
extern struct spdk_memory_domain dmahost_system_domain_instance;
/** The graveyard: a ring of the last DMAHOST_GRAVEYARD_RECORDS destroyed records, guarded by
 *  the registry mutex. Zero-initialised storage: its pages are touched only as records are
 *  destroyed. */
extern struct dmahost_grave dmahost_graves[DMAHOST_GRAVEYARD_RECORDS];

/** Domains destroyed in the process so far (dmahost_host_api.domains_destroyed points here):
 *  advanced by every destroy, under the registry mutex, and read by plugins without it, so
 *  every access is atomic. In a cache line of its own: plugins read it on every data call. */
struct dmahost_domains_destroyed_line {
	uint64_t count;
	/** Fills the line and its adjacent-line prefetch pair. */
	uint8_t unused[120];
} __attribute__((aligned(128)));
extern struct dmahost_domains_destroyed_line dmahost_domains_destroyed_instance;

static inline struct dmahost_registry *_Nonnull dmahost_registry(void) { return &dmahost_registry_instance; }
static inline const uint64_t *_Nonnull dmahost_domains_destroyed(void) { return &dmahost_domains_destroyed_instance.count; }
/* Relaxed: a reader needs only coherence (a destroy that happens before its load is seen). */
static inline void dmahost_count_domain_destroyed(void) { __atomic_fetch_add(&dmahost_domains_destroyed_instance.count, 1, __ATOMIC_RELAXED); }
static inline struct spdk_memory_domain *_Nonnull dmahost_system_domain(void) { return &dmahost_system_domain_instance; }
static inline struct dmahost_address_table *_Nonnull dmahost_address_table(void) { return &dmahost_registry_instance.addresses; }
static inline struct dmahost_id_index *_Nonnull dmahost_id_index(void) { return &dmahost_registry_instance.ids; }
static inline struct dmahost_grave *_Nonnull dmahost_graveyard(void) { return dmahost_graves; }
/** The registry mutex (dmahost_registry_lock): 0 free, 1 held, 2 held with a thread waiting
 *  for it on the futex. A variable of its own, outside struct dmahost_registry: Swift code
 *  reads and writes the registry through pointers to that whole struct, which must not cover
 *  a word that other threads access atomically at the same time. */
extern uint32_t dmahost_registry_mutex;

/** The waits of dmahost_registry_lock when the mutex is held (registry_storage.c). */
void dmahost_registry_lock_contended(void);
/** Wakes a thread waiting in dmahost_registry_lock_contended (registry_storage.c). */
void dmahost_registry_wake_waiter(void);

/*
 * The registry mutex: a futex word in the three-state design of U. Drepper ("Futexes are
 * tricky", mutex 2). Every registry call takes it for a few dozen instructions, so the
 * uncontended path is inline: one compare-and-swap to take it, one exchange to release it
 * (pthread_mutex_lock and _unlock cost about 55 instructions together). Taking it acquires
 * and releasing it releases, so everything written under it is seen by the next holder.
 */
static inline void dmahost_registry_lock(void)
{
	uint32_t expected = 0;
	if (__builtin_expect(__atomic_compare_exchange_n(&dmahost_registry_mutex, &expected, 1, 0,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 1)) {
		return;
	}
	dmahost_registry_lock_contended();
}

static inline void dmahost_registry_unlock(void)
{
	if (__builtin_expect(__atomic_exchange_n(&dmahost_registry_mutex, 0, __ATOMIC_RELEASE) == 1, 1)) {
		return;
	}
	dmahost_registry_wake_waiter();
}

#endif /* DMAHOST_REGISTRY_H */
