/*
 * DMAHost — driver plugin ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * The versioned C ABI between the DMAHost driver host and a backend plugin.
 *
 * A plugin is a shared object that exports one symbol, \ref DMAHOST_DRIVER_ENTRY_SYMBOL.
 * The host loads it with `dlopen(RTLD_NOW | RTLD_LOCAL)`, calls the entry (once per host) with a
 * table of host functions (\ref dmahost_host_api), and gets back the plugin's table
 * of driver functions (\ref dmahost_driver_ops). Nothing else crosses the boundary:
 * a plugin never links the DMAHost library (it would get a second, invisible domain
 * registry), and no Swift type is passed (Swift has no stable ABI on Linux).
 *
 * Versioning: both tables start with their size in bytes and the ABI version the
 * other side was compiled against. The host rejects a plugin whose
 * \ref dmahost_driver_ops.abi_major differs from its own, or whose table is smaller
 * than the fields its declared minor version requires. Minor versions only append
 * fields; a side reads a field only when the other side's `size` covers it.
 *
 * Memory ownership: strings and arrays a plugin returns (names, device infos) stay
 * owned by the plugin and must stay valid until `fini` is called (or forever, when
 * there is no `fini`). Strings the host passes in are valid only during the call.
 * Domains are created through the host table and are owned by the host registry;
 * a plugin destroys its own domains in `close`.
 *
 * Threads: the host calls `probe`, `open`, `close`, `diagnose` and `fini` from one
 * thread at a time (it serialises them per plugin). Domain callbacks a plugin
 * registers may be called from any thread, concurrently. Completion callbacks are
 * invoked by the plugin on a thread of its choosing, exactly once, and only when the
 * operation returned 0.
 *
 * Completions inside the submitting call: a pull, push, transfer or memzero callback may call
 * `cpl_cb` before it returns (inline, on the caller's thread, e.g. a device that copies
 * synchronously) and must then return 0; calling it and then returning an error breaks the
 * contract. What the caller sees:
 * - A program calling `spdk_memory_domain_pull_data()` and the others with its own `cpl_cb`
 *   (C programs, `dmahost/host.h` users): the call reaches the callback untouched, so its
 *   `cpl_cb` runs nested inside that call, on its thread, before the call returns 0. Such a
 *   caller must not hold a lock its completion takes, and a completion that submits the next
 *   operation recurses into the plugin.
 * - Operations the host waits for itself (the Swift API, `dmactl copy`, `bench`, `stress`):
 *   the host's completion token notes the status during the call and the host acts on it
 *   after the call returned 0, on the same thread; its own code never runs nested inside the
 *   plugin's call, and nothing is counted as a fault. `dmactl bench` resubmits at most a
 *   bounded number of inline completions in a row.
 * Either way, never hold a lock of the plugin's own while calling `cpl_cb`: the caller may
 * submit again from inside the completion, into the same callback.
 *
 * Arguments of domain callbacks: every pull, push, transfer, memzero and translate callback
 * a plugin registers must first check its arguments with `dmahost/iovec.h`
 * (`dmahost_iov_check_copy`, `dmahost_iov_check_memzero`, `dmahost_iov_check_translate`; Swift
 * plugins: `IOVecContract` of DMADriverKit) and return the errno it gives, without calling the
 * completion, so that every domain answers bad input alike. A callback that returns 0 must
 * then move exactly the bytes described: never fewer (no truncation, no skipped entry).
 *
 * The host never `dlclose`s a plugin: callbacks it registered may be referenced
 * anywhere in the process.
 */

#ifndef DMAHOST_DRIVER_H
#define DMAHOST_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "spdk/dma.h"
#include "dmahost/iovec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Major version of this ABI. A change breaks compatibility. */
#define DMAHOST_DRIVER_ABI_MAJOR 1
/**
 * Minor version of this ABI. A change only appends fields.
 * 1.1 appended \ref dmahost_driver_ops.domain_id_prefixes.
 * 1.2 appended \ref dmahost_driver_ops.config_variables and \ref dmahost_driver_ops.config_variable_count.
 * 1.3 appended \ref dmahost_host_api.domains_destroyed.
 */
#define DMAHOST_DRIVER_ABI_MINOR 3
/** Name of the symbol every plugin exports; its type is \ref dmahost_driver_entry_fn. */
#define DMAHOST_DRIVER_ENTRY_SYMBOL "dmahost_driver_entry"

/** Severity of a message sent through \ref dmahost_host_api.log. */
enum dmahost_log_level {
	DMAHOST_LOG_ERROR = 0,
	DMAHOST_LOG_WARNING = 1,
	DMAHOST_LOG_INFO = 2,
	DMAHOST_LOG_DEBUG = 3
};

/** Device capability bits (\ref dmahost_device_info.capabilities). */
enum dmahost_capability {
	/** Copies memory (pull/push/transfer). */
	DMAHOST_CAP_COPY = 1u << 0,
	/** Fills memory with a pattern or zeroes (memzero). */
	DMAHOST_CAP_FILL = 1u << 1,
	/** Accepts scatter-gather lists with more than one entry on each side. */
	DMAHOST_CAP_SCATTER_GATHER = 1u << 2,
	/** Translates system memory by identity (same virtual addresses). */
	DMAHOST_CAP_TRANSLATE_IDENTITY = 1u << 3,
	/** Translates system memory into RDMA lkey/rkey. */
	DMAHOST_CAP_TRANSLATE_RDMA = 1u << 4,
	/** Translates into dma-buf file descriptor, offset and length. */
	DMAHOST_CAP_TRANSLATE_DMABUF = 1u << 5,
	/** Moves data between two non-system domains (transfer). */
	DMAHOST_CAP_TRANSFER = 1u << 6,
	/** Invalidates cached translations (invalidate). */
	DMAHOST_CAP_INVALIDATE = 1u << 7
};

/** One device a plugin found. Size-prefixed. */
struct dmahost_device_info {
	/** sizeof(struct dmahost_device_info) as compiled by the plugin. */
	size_t size;
	/** Stable id string, unique in the process, "<driver name>:<device>" (e.g. "cpu:0", "rdma:rxe0"). */
	const char *id;
	/** An \ref spdk_dma_device_type value. Vendor plugins use 1000..1999. */
	int32_t type;
	/** Required buffer alignment in bytes (1 = any). */
	uint32_t alignment;
	/** Human description (model, driver, path). */
	const char *description;
	/** Bitwise OR of \ref dmahost_capability. */
	uint64_t capabilities;
	/** Largest single transfer in bytes (0 = no limit). */
	uint64_t max_transfer_size;
	/** Most iovec entries per side in one operation (0 = no limit). */
	uint32_t max_sge;
	/** Reserved, 0. */
	uint32_t reserved;
};

/**
 * One configuration variable a driver reads from the environment (ABI 1.2), as `dmactl env`
 * lists it. Size-prefixed: records of one array are \b size bytes apart.
 */
struct dmahost_config_variable {
	/** sizeof(struct dmahost_config_variable) as compiled by the plugin; the same in every record. */
	size_t size;
	/**
	 * The variable's name: 1 to 128 characters among A-Z, 0-9 and '_', starting with a letter
	 * (e.g. "DMAHOST_CPU_WORKERS"); unique within the driver. By convention
	 * "DMAHOST_<DRIVER>_<SETTING>".
	 */
	const char *name;
	/**
	 * The value in effect when the variable is not set, as the variable would be written
	 * (e.g. "worker"); NULL when it is computed at run time (\b doc then says how).
	 */
	const char *default_value;
	/** What the variable does and which values it takes; one line or a few. Not NULL. */
	const char *doc;
};

/** Callback that receives one line of a plugin's self-diagnosis. */
typedef void (*dmahost_diagnostic_fn)(void *arg, const char *subject, int ok, const char *detail);

/**
 * Host functions given to a plugin at entry. Owned by the host; valid for the life of
 * the process. Every `spdk_*` member behaves exactly as the function of that name in
 * `spdk/dma.h` and acts on the host's one registry, except that the six callback setters
 * act only on the plugin's own domains (see \ref dmahost_host_api.spdk_memory_domain_set_translation).
 *
 * Domain ownership: a plugin may create domains only in its own id namespace, and may set
 * callbacks on and destroy only domains it created through this table. Every refusal is
 * logged with the plugin's name. This protects the process from mistakes of careless
 * plugins, not from malice: a plugin is native code in the host's process.
 */
struct dmahost_host_api {
	/** sizeof(struct dmahost_host_api) as compiled by the host. */
	size_t size;
	/** \ref DMAHOST_DRIVER_ABI_MAJOR of the host. */
	uint32_t abi_major;
	/** \ref DMAHOST_DRIVER_ABI_MINOR of the host. */
	uint32_t abi_minor;
	/** Opaque host handle for this plugin; pass it back where a function asks for it. */
	void *host_ctx;

	/** Log \b message (copied) at \b level on behalf of the plugin. */
	void (*log)(void *host_ctx, int level, const char *message);
	/**
	 * Create a domain that belongs to \b device_id (a device this plugin reported).
	 * Same rules as spdk_memory_domain_create; additionally -EINVAL when \b device_id is not
	 * one of this plugin's devices or \b type not one of its device types, and -EPERM when
	 * \b domain_id is not the plugin's to use. A domain id is the plugin's when it is NULL, or
	 * "<prefix>:<rest>" (rest not empty) with the driver's name or one of its
	 * \ref dmahost_driver_ops.domain_id_prefixes as prefix. Never "system". Ids SPDK reserves
	 * (every id starting with "SPDK_") only as listed: `SPDK_RDMA_DMA_DEVICE` for the driver
	 * named "rdma", `SPDK_ACCEL_DMA_DEVICE` for the driver named "cpu"; no other.
	 * The host lists and closes domains per device.
	 */
	int (*domain_create)(void *host_ctx, const char *device_id, struct spdk_memory_domain **domain,
			     enum spdk_dma_device_type type, struct spdk_memory_domain_ctx *ctx, const char *domain_id);
	/**
	 * Destroy a domain this plugin created through this table. Any other domain (another
	 * plugin's, the application's, the system domain, one already destroyed) is left alone:
	 * the call is refused (EPERM) and logged.
	 */
	void (*domain_destroy)(void *host_ctx, struct spdk_memory_domain *domain);

	/**
	 * The six callback setters act on a domain this plugin created through this table, and
	 * only while the host is calling the plugin on the calling thread (its probe, open, close,
	 * diagnose or fini): register a domain's callbacks in open, right after creating it.
	 * A call on any other domain, or from another thread or time, is refused (EPERM) and
	 * logged, and the domain keeps its callbacks.
	 */
	void (*spdk_memory_domain_set_translation)(struct spdk_memory_domain *domain,
			spdk_memory_domain_translate_memory_cb translate_cb);
	void (*spdk_memory_domain_set_invalidate)(struct spdk_memory_domain *domain,
			spdk_memory_domain_invalidate_data_cb invalidate_cb);
	void (*spdk_memory_domain_set_pull)(struct spdk_memory_domain *domain,
					    spdk_memory_domain_pull_data_cb pull_cb);
	void (*spdk_memory_domain_set_push)(struct spdk_memory_domain *domain,
					    spdk_memory_domain_push_data_cb push_cb);
	void (*spdk_memory_domain_set_data_transfer)(struct spdk_memory_domain *domain,
			spdk_memory_domain_transfer_data_cb transfer_cb);
	void (*spdk_memory_domain_set_memzero)(struct spdk_memory_domain *domain,
					       spdk_memory_domain_memzero_cb memzero_cb);
	struct spdk_memory_domain_ctx *(*spdk_memory_domain_get_context)(struct spdk_memory_domain *domain);
	void *(*spdk_memory_domain_get_user_context)(struct spdk_memory_domain *domain, size_t *ctx_size);
	enum spdk_dma_device_type (*spdk_memory_domain_get_dma_device_type)(struct spdk_memory_domain *domain);
	const char *(*spdk_memory_domain_get_dma_device_id)(struct spdk_memory_domain *domain);
	struct spdk_memory_domain *(*spdk_memory_domain_get_first)(const char *id);
	struct spdk_memory_domain *(*spdk_memory_domain_get_next)(struct spdk_memory_domain *prev, const char *id);
	struct spdk_memory_domain *(*spdk_memory_domain_get_system_domain)(void);
	int (*spdk_memory_domain_pull_data)(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
					    struct iovec *src_iov, uint32_t src_iov_cnt, struct iovec *dst_iov, uint32_t dst_iov_cnt,
					    spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
	int (*spdk_memory_domain_push_data)(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
					    struct iovec *dst_iov, uint32_t dst_iovcnt, struct iovec *src_iov, uint32_t src_iovcnt,
					    spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
	int (*spdk_memory_domain_transfer_data)(struct spdk_memory_domain *dst_domain, void *dst_domain_ctx,
						struct iovec *dst_iov, uint32_t dst_iovcnt,
						struct spdk_memory_domain *src_domain, void *src_domain_ctx,
						struct iovec *src_iov, uint32_t src_iovcnt,
						struct spdk_memory_domain_translation_result *src_translation,
						spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
	int (*spdk_memory_domain_translate_data)(struct spdk_memory_domain *src_domain, void *src_domain_ctx,
			struct spdk_memory_domain *dst_domain, struct spdk_memory_domain_translation_ctx *dst_domain_ctx,
			void *addr, size_t len, struct spdk_memory_domain_translation_result *result);
	void (*spdk_memory_domain_invalidate_data)(struct spdk_memory_domain *domain, void *domain_ctx,
			struct iovec *iov, uint32_t iovcnt);
	int (*spdk_memory_domain_memzero)(struct spdk_memory_domain *domain, void *domain_ctx,
					  struct iovec *iov, uint32_t iovcnt, spdk_memory_domain_data_cpl_cb cpl_cb, void *cpl_cb_arg);
	/**
	 * Since ABI 1.3 (present when \b size covers it; may be NULL in a table that is not the
	 * host's). The number of domains destroyed in the process so far, by anyone (a plugin,
	 * the application, the host); it only grows. A domain's address may be reused by a new
	 * domain once the old one is destroyed, so a plugin that remembers facts about domains by
	 * their address (which of them are its own) may trust what it learned while this number
	 * is unchanged, and must look again (spdk_memory_domain_get_user_context) once it changed.
	 * Read it with an atomic load (`__atomic_load_n(p, __ATOMIC_RELAXED)`): a destroy that
	 * happened before the load is counted. The word lives as long as the process, in a cache
	 * line of its own that only destroys write.
	 */
	const uint64_t *domains_destroyed;
};

/**
 * The table a plugin returns from its entry. Owned by the plugin; valid for the life of
 * the process. Functions marked optional may be NULL.
 */
struct dmahost_driver_ops {
	/** sizeof(struct dmahost_driver_ops) as compiled by the plugin. */
	size_t size;
	/** \ref DMAHOST_DRIVER_ABI_MAJOR the plugin was compiled against. */
	uint32_t abi_major;
	/** \ref DMAHOST_DRIVER_ABI_MINOR the plugin was compiled against. */
	uint32_t abi_minor;
	/** Short unique driver name; also the prefix of its device ids ("cpu", "rdma", "dmaengine"). */
	const char *name;
	/** Driver version string (e.g. "1.0.0"). */
	const char *version;
	/** The \ref spdk_dma_device_type values the driver serves. */
	const int32_t *device_types;
	/** Number of entries in \b device_types. */
	uint32_t device_type_count;
	/** Reserved, 0. */
	uint32_t reserved;
	/** Opaque plugin state, passed back to every function below. */
	void *driver_ctx;

	/**
	 * Find devices. On success sets \b *devices to a plugin-owned array of \b *count entries
	 * (valid until the next probe or fini) and returns 0; zero devices is a success. On failure
	 * returns a negated errno and writes a NUL-terminated reason into \b err (\b err_len bytes).
	 */
	int (*probe)(void *driver_ctx, const struct dmahost_device_info **devices, uint32_t *count,
		     char *err, size_t err_len);
	/**
	 * Open a device reported by probe: create its domains through the host table and register
	 * their callbacks. Returns 0, or a negated errno with a reason in \b err.
	 */
	int (*open)(void *driver_ctx, const char *device_id, char *err, size_t err_len);
	/** Close an open device: destroy its domains after its in-flight operations completed. Optional. */
	void (*close)(void *driver_ctx, const char *device_id);
	/**
	 * Report what the driver checked (kernel modules, device nodes, libraries), one call of
	 * \b emit per check; \b ok is 1 when the check passed. Returns 0. Optional.
	 */
	int (*diagnose)(void *driver_ctx, dmahost_diagnostic_fn emit, void *emit_arg);
	/** Release everything; no other function is called afterwards. Optional. */
	void (*fini)(void *driver_ctx);

	/**
	 * Since ABI 1.1. Optional (NULL: none): a NULL-terminated array of id prefixes the
	 * driver's domains may use besides its name (see \ref dmahost_host_api.domain_create),
	 * e.g. "dmabuf" for the dmaengine driver's "dmabuf:udmabuf" domains. At most 16; each
	 * follows the rules of a driver name and may not be "system", start with "SPDK_", or be
	 * the name of a built-in driver (cpu, rdma, dmaengine) other than this one. A prefix or
	 * name that another loaded driver already claims gets the plugin rejected
	 * (duplicateName). Owned by the plugin; valid for the life of the process.
	 */
	const char *const *domain_id_prefixes;

	/**
	 * Since ABI 1.2. Optional (NULL with \b config_variable_count 0: none): the configuration
	 * variables the driver reads from the environment, an array of \b config_variable_count
	 * records (at most 64) \ref dmahost_config_variable.size bytes apart. The host reads them
	 * once, after the entry returns, and shows them with their current values (`dmactl env`); it
	 * never sets them. A record that breaks the rules of \ref dmahost_config_variable (a NULL
	 * or unterminated string, a bad or repeated name) gets the plugin rejected (invalidTable).
	 * Owned by the plugin; valid for the life of the process.
	 */
	const struct dmahost_config_variable *config_variables;
	/** Since ABI 1.2. Number of records in \b config_variables (0...64). */
	uint32_t config_variable_count;
	/** Reserved, 0. */
	uint32_t reserved_1_2;
};

/** Smallest \ref dmahost_driver_ops.size the host accepts for ABI 1.0 (a 1.0 table ends at fini). */
#define DMAHOST_DRIVER_OPS_MIN_SIZE_1_0 (offsetof(struct dmahost_driver_ops, fini) + sizeof(void (*)(void *)))

/**
 * The plugin entry point. Called right after `dlopen`, on the host's loader thread: once per
 * driver host that loads the plugin. A process normally has one host; when it creates several
 * (tests do), `dlopen` returns the same image and the entry is called again, with the newer
 * host's table, so a plugin that keeps the table in a global serves the newest host.
 *
 * \param host The host table (host-owned, valid for the life of the process). A plugin that
 * needs a newer host (\b host->abi_major or \b host->size too small) returns NULL after logging why.
 * \return The plugin's table, or NULL to refuse loading.
 */
typedef const struct dmahost_driver_ops *(*dmahost_driver_entry_fn)(const struct dmahost_host_api *host);

/** Declaration of the entry every plugin defines. */
const struct dmahost_driver_ops *dmahost_driver_entry(const struct dmahost_host_api *host);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_DRIVER_H */
