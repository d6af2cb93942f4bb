/*
 * DMAHost — PCI enumeration through libpci, as plain C structs.
 * SPDX-License-Identifier: BSD-3-Clause
 */

/** \file
 * One call that enumerates PCI functions with libpci (pciutils) and copies what the
 * dmaengine backend needs into caller-owned fixed-size records.
 *
 * libpci's default error handler calls `exit()`; this shim installs its own handler, which
 * records the message and unwinds to the caller, so a missing or unreadable sysfs never ends
 * the process. libpci's own state is created and destroyed within the call. Thread-safe
 * (the error path uses thread-local storage).
 */

#ifndef DMAHOST_PCI_SCAN_H
#define DMAHOST_PCI_SCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One PCI function. Strings are NUL-terminated and truncated to their arrays. */
struct dmahost_pci_function {
	/** PCI domain (segment). */
	uint32_t domain;
	/** Bus number. */
	uint8_t bus;
	/** Device number. */
	uint8_t dev;
	/** Function number. */
	uint8_t func;
	/** Programming interface (the low byte of the class code), 0 when unknown. */
	uint8_t prog_if;
	/** Vendor id. */
	uint16_t vendor_id;
	/** Device id. */
	uint16_t device_id;
	/** Base class and subclass (e.g. 0x0880), the high 16 bits of the class code. */
	uint16_t device_class;
	/** Reserved, 0. */
	uint16_t reserved;
	/** NUMA node, -1 when unknown. */
	int32_t numa_node;
	/** Bound kernel driver ("ioatdma", "idxd"...), empty when none. */
	char driver[64];
	/** Vendor name from pci.ids, or the vendor id in hex (always hex without \ref DMAHOST_PCI_SCAN_NAMES). */
	char vendor_name[128];
	/** Device name from pci.ids, or the device id in hex. */
	char device_name[128];
};

/** \ref dmahost_pci_scan flag: fill the vendor and device names from pci.ids (slower: loads the database). */
#define DMAHOST_PCI_SCAN_NAMES 0x1u

/**
 * Enumerate PCI functions.
 *
 * \param sysfs_path The `/sys/bus/pci` directory to read (forces libpci's sysfs access method;
 * tests pass a fixture tree), or NULL for libpci's automatic choice.
 * \param out Caller-owned array of \b capacity records (may be NULL when \b capacity is 0).
 * \param capacity Number of records \b out can hold.
 * \param count Receives the number of functions found (may exceed \b capacity; only the first
 * \b capacity are written).
 * \param flags \ref DMAHOST_PCI_SCAN_NAMES or 0 (names are then the ids in hex).
 * \param err Receives a NUL-terminated reason on failure (\b err_len bytes).
 * \return 0 on success; -1 when libpci reported an error (reason in \b err).
 */
int dmahost_pci_scan(const char *sysfs_path, struct dmahost_pci_function *out, size_t capacity,
		     size_t *count, unsigned int flags, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* DMAHOST_PCI_SCAN_H */
