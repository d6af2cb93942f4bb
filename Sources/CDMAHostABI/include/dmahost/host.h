/*
 * DMAHost — driver host C API.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * Loading backend plugins, listing their devices and opening devices into memory domains,
 * from C. Link against `libDMAHost.so`; the domains returned are ordinary
 * `struct spdk_memory_domain *` of `spdk/dma.h`.
 *
 * A \ref dmahost_host owns the plugins it loaded. A process normally has one; each host calls
 * a plugin's entry once, so two hosts get two independent driver states (and may both create
 * domains in the one process-wide domain registry). Plugins are never unloaded.
 *
 * Plugin search (\ref dmahost_load_default): the value of `DMAHOST_DRIVER_PATH` (a colon-separated
 * list of absolute paths of plugin files or directories), then the directory that holds
 * `libDMAHost.so`, its `dmahost/` subdirectory and `../lib/dmahost` relative to it (installed:
 * `PREFIX/lib/dmahost` beside `PREFIX/lib/libDMAHost.so.1`). In a directory, plugins are the files named
 * `libdmahost-*.so`. Every candidate file is either loaded or rejected; a rejection keeps its
 * reason (\ref dmahost_rejection_get). A rejected plugin never prevents the others from loading.
 *
 * What loading trusts: a plugin file, the directory that holds it and every directory above it
 * must be owned by root or the effective user and not writable by group or others (a directory
 * above may be if it has the sticky bit, like `/tmp`); otherwise the candidate is rejected
 * ("untrusted") with the `chmod`/`chown` that fixes it. `DMAHOST_ALLOW_INSECURE_PLUGINS=1` waives
 * that rule for development. The host opens the file by its canonical path, checks that open
 * file, and maps that path, so the dynamic linker never searches for a plugin. The same file
 * reached by another path (hard or symbolic link, another directory) is rejected as
 * "duplicateFile" before its entry runs again; the same path again is skipped.
 *
 * Secure-execution mode (a set-user-ID or set-group-ID program, capabilities gained at exec,
 * or real and effective ids that differ): `DMAHOST_DRIVER_PATH` and
 * `DMAHOST_ALLOW_INSECURE_PLUGINS` are ignored, and \ref dmahost_load_path is refused unless
 * the real user is root; each is recorded as a rejection of kind "refused" that says why.
 *
 * Device selections (\ref dmahost_select): comma-separated items, each an exact device id
 * (`cpu:0`), a driver prefix (`rdma:`; `vendor:` = every vendor-type device), or a shell glob
 * (`cpu:*`); an item starting with `^` removes what it matches (`cpu:*,^cpu:1`). An unknown id
 * fails with -ENODEV and a message naming the closest existing ids.
 *
 * Strings and descriptions returned by these functions are owned by the host and stay valid
 * until \ref dmahost_host_destroy. Device, driver and rejection indices are stable: lists only
 * grow while the host lives.
 *
 * Threads: every function may be called from any thread; loading, opening and closing are
 * serialised inside the host. Domain callbacks and completions follow `spdk/dma.h` and
 * `dmahost/driver.h` (completions run on a thread of the plugin's choosing).
 *
 * Completions: the domains returned here are plain `spdk/dma.h` domains, and operations on
 * them call the plugin with the caller's own `cpl_cb` and `cpl_cb_arg`, untouched. The host's
 * completion tokens (a completion called twice, after an error or late is counted and never
 * delivered; timeouts) cover only the completions the host waits for itself: the Swift API,
 * `dmactl copy` and `dmactl bench`. This API does not wait for operations; a C caller that
 * needs those guarantees implements them in its own callback.
 */

#ifndef DMAHOST_HOST_H
#define DMAHOST_HOST_H

#include <stddef.h>
#include <stdint.h>

/**
 * Version of the DMAHost library these headers belong to (major.minor.patch). A C program
 * compares it with \ref dmahost_version to learn which library it runs against; the plugin ABI
 * has its own version (`DMAHOST_DRIVER_ABI_MAJOR`/`_MINOR` in dmahost/driver.h).
 */
#define DMAHOST_VERSION_MAJOR 1
/** Minor version of the library: a change adds functions or fields, never removes them. */
#define DMAHOST_VERSION_MINOR 1
/** Patch version of the library: fixes only. */
#define DMAHOST_VERSION_PATCH 0

#include "spdk/dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A driver host: the plugins it loaded and their devices. Opaque. */
struct dmahost_host;

/** One loaded driver. Size-prefixed: set \b size before calling \ref dmahost_driver_get. */
struct dmahost_driver_desc {
	/** sizeof(struct dmahost_driver_desc) as compiled by the caller. */
	size_t size;
	/** Driver name, the prefix of its device ids. */
	const char *name;
	/** Driver version string. */
	const char *version;
	/** Canonical absolute path of the plugin file (symbolic links resolved): the file loaded. */
	const char *path;
	/** Where the file was found: "explicit", "environment" or "installed". */
	const char *source;
	/** Number of devices the driver serves. */
	uint32_t device_count;
	/** Nanoseconds spent loading (ELF check, dlopen, entry, checks of the ops table). */
	uint64_t load_ns;
	/** Nanoseconds spent in the load-time probe (call and checks of its records). */
	uint64_t probe_ns;
};

/** One device. Size-prefixed: set \b size before calling \ref dmahost_device_get. */
struct dmahost_device_desc {
	/** sizeof(struct dmahost_device_desc) as compiled by the caller. */
	size_t size;
	/** Device id, "<driver>:<device>". */
	const char *id;
	/** Name of the driver serving it. */
	const char *driver;
	/** Human description. */
	const char *description;
	/** An \ref spdk_dma_device_type value. */
	int32_t type;
	/** Required buffer alignment in bytes (1 = any). */
	uint32_t alignment;
	/** Bitwise OR of `enum dmahost_capability` (dmahost/driver.h). */
	uint64_t capabilities;
	/** Largest single transfer in bytes (0 = no limit). */
	uint64_t max_transfer_size;
	/** Most iovec entries per side (0 = no limit). */
	uint32_t max_sge;
	/** 1 when the device is open in this host. */
	uint32_t is_open;
};

/** One rejected candidate. Size-prefixed: set \b size before calling \ref dmahost_rejection_get. */
struct dmahost_rejection_desc {
	/** sizeof(struct dmahost_rejection_desc) as compiled by the caller. */
	size_t size;
	/** Path of the candidate file or search entry, as found. */
	const char *path;
	/** Where it was found: "explicit", "environment" or "installed". */
	const char *source;
	/** Kind of problem, e.g. "abiMismatch", "missingEntry", "loadFailed", "untrusted", "refused",
	 * "duplicateFile" (stable names). */
	const char *kind;
	/** What went wrong and what to do about it. */
	const char *reason;
};

/**
 * The version of the library that is running, "major.minor.patch" (the values of
 * \ref DMAHOST_VERSION_MAJOR, \ref DMAHOST_VERSION_MINOR and \ref DMAHOST_VERSION_PATCH it was
 * built with). A static string: never NULL, never freed. Any thread.
 */
const char *dmahost_version(void);

/**
 * Create an empty host. It reads the process's ids, whether it runs in secure-execution mode,
 * and the loader's environment variables now, once: later changes to them do not affect it.
 *
 * \param host Receives the new host. Release it with \ref dmahost_host_destroy.
 * \return 0, -EINVAL if \b host is NULL, -ENOMEM.
 */
int dmahost_host_create(struct dmahost_host **host);

/**
 * Close every open device, call every driver's `fini`, and free the host and all strings it
 * returned. Plugins stay loaded in the process. Domains obtained from \ref dmahost_open are
 * destroyed by their drivers and must no longer be used.
 *
 * \param host The host, or NULL (no-op).
 */
void dmahost_host_destroy(struct dmahost_host *host);

/**
 * Load the plugins of the default search: `DMAHOST_DRIVER_PATH` (ignored in secure-execution
 * mode), then the installed-plugins directory next to `libDMAHost.so`. Paths this host already
 * considered are skipped.
 *
 * \param host The host.
 * \return The number of drivers loaded by this call (0 or more; rejections are recorded, not
 * returned), or -EINVAL if \b host is NULL.
 */
int dmahost_load_default(struct dmahost_host *host);

/**
 * Load one plugin file, or every `libdmahost-*.so` file of a directory.
 *
 * \param host The host.
 * \param path File or directory path (copied); a relative path, a bare file name too, is taken
 * from the current directory.
 * \return The number of drivers loaded by this call (0 or more; see \ref dmahost_rejection_get
 * for the reasons of those not loaded), -EINVAL if an argument is NULL, or -EPERM in a
 * secure-execution process whose real user is not root (nothing is loaded; the refusal is
 * recorded as a rejection of kind "refused").
 */
int dmahost_load_path(struct dmahost_host *host, const char *path);

/** Number of loaded drivers (0 if \b host is NULL). */
uint32_t dmahost_driver_count(struct dmahost_host *host);

/**
 * Describe a loaded driver.
 *
 * \param host The host.
 * \param index 0 ... \ref dmahost_driver_count - 1, in load order.
 * \param desc Filled up to \b desc->size bytes; strings are owned by the host.
 * \return 0, -EINVAL for NULL arguments or a \b desc->size smaller than `size`, -ERANGE for a bad index.
 */
int dmahost_driver_get(struct dmahost_host *host, uint32_t index, struct dmahost_driver_desc *desc);

/** Number of devices of all loaded drivers (0 if \b host is NULL). */
uint32_t dmahost_device_count(struct dmahost_host *host);

/**
 * Describe a device.
 *
 * \param host The host.
 * \param index 0 ... \ref dmahost_device_count - 1, in load order.
 * \param desc Filled up to \b desc->size bytes; strings are owned by the host.
 * \return 0, -EINVAL for NULL arguments or a too small \b desc->size, -ERANGE for a bad index.
 */
int dmahost_device_get(struct dmahost_host *host, uint32_t index, struct dmahost_device_desc *desc);

/**
 * Resolve a device selection into device indices.
 *
 * \param host The host.
 * \param selection The selection text (see the file comment).
 * \param indices Receives up to \b capacity indices (for \ref dmahost_device_get), in device
 * order. May be NULL when \b capacity is 0 (to ask for the count).
 * \param capacity Entries available in \b indices.
 * \param count Receives the number of selected devices, even when larger than \b capacity.
 * \param err Receives a NUL-terminated reason on failure (may be NULL).
 * \param err_len Size of \b err in bytes.
 * \return 0; -EINVAL for NULL arguments or a malformed selection; -ENODEV for an unknown id
 * (the reason names the closest ids) or an empty result; -ENOBUFS when \b count > \b capacity
 * (the first \b capacity indices are written).
 */
int dmahost_select(struct dmahost_host *host, const char *selection, uint32_t *indices, uint32_t capacity,
		   uint32_t *count, char *err, size_t err_len);

/**
 * Open the devices of a selection (each device only once; opening an open device is not an
 * error) and return their memory domains.
 *
 * \param host The host.
 * \param selection A device selection, typically one device id.
 * \param domains Receives up to \b capacity domains, in device order. Owned by the drivers:
 * valid until the device is closed (\ref dmahost_close or \ref dmahost_host_destroy).
 * May be NULL when \b capacity is 0.
 * \param capacity Entries available in \b domains.
 * \param count Receives the number of domains, even when larger than \b capacity.
 * \param err Receives a NUL-terminated reason on failure (may be NULL).
 * \param err_len Size of \b err in bytes.
 * \return 0; the negated errno of the first failure (then no device was left open by this
 * call): -ENODEV unknown device, -EINVAL, the driver's own error; -ENOBUFS when \b count >
 * \b capacity (the devices stay open).
 */
int dmahost_open(struct dmahost_host *host, const char *selection, struct spdk_memory_domain **domains,
		 uint32_t capacity, uint32_t *count, char *err, size_t err_len);

/**
 * Close an open device; its driver destroys its domains once their operations completed.
 * Closing a device that is not open does nothing.
 *
 * \param host The host.
 * \param device_id Exact device id.
 * \return 0, -EINVAL for NULL arguments, -ENODEV when no loaded driver serves \b device_id.
 */
int dmahost_close(struct dmahost_host *host, const char *device_id);

/** Number of rejected candidates (0 if \b host is NULL). */
uint32_t dmahost_rejection_count(struct dmahost_host *host);

/**
 * Describe a rejected candidate.
 *
 * \param host The host.
 * \param index 0 ... \ref dmahost_rejection_count - 1, in search order.
 * \param desc Filled up to \b desc->size bytes; strings are owned by the host.
 * \return 0, -EINVAL for NULL arguments or a too small \b desc->size, -ERANGE for a bad index.
 */
int dmahost_rejection_get(struct dmahost_host *host, uint32_t index, struct dmahost_rejection_desc *desc);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_HOST_H */
