/*
 * DMAHost — PCI enumeration through libpci (see dmahost_pci_scan.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */

#include "dmahost_pci_scan.h"

#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpci's error callback has no context argument and must not return: the scan in
 * progress on this thread keeps its escape point and message buffer here. */
static __thread jmp_buf *scan_escape;
static __thread char *scan_err;
static __thread size_t scan_err_len;

static void __attribute__((noreturn)) scan_error(char *msg, ...)
{
	if (scan_err != NULL && scan_err_len > 0) {
		va_list args;
		va_start(args, msg);
		vsnprintf(scan_err, scan_err_len, msg, args);
		va_end(args);
	}
	if (scan_escape != NULL)
		longjmp(*scan_escape, 1);
	/* Not inside dmahost_pci_scan: libpci's contract is that this never returns. */
	abort();
}

static void scan_quiet(char *msg, ...)
{
	(void)msg;
}

static void copy_string(char *dst, size_t len, const char *src)
{
	if (len == 0)
		return;
	if (src == NULL)
		src = "";
	snprintf(dst, len, "%s", src);
}

static void fill_record(struct pci_access *pacc, struct pci_dev *dev, struct dmahost_pci_function *rec, unsigned int flags)
{
	memset(rec, 0, sizeof(*rec));
	pci_fill_info(dev, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_NUMA_NODE | PCI_FILL_DRIVER);
	rec->domain = (uint32_t)dev->domain;
	rec->bus = dev->bus;
	rec->dev = dev->dev;
	rec->func = dev->func;
	rec->vendor_id = dev->vendor_id;
	rec->device_id = dev->device_id;
	rec->device_class = dev->device_class;
	rec->prog_if = dev->prog_if;
	rec->numa_node = dev->numa_node;
	copy_string(rec->driver, sizeof(rec->driver), pci_get_string_property(dev, PCI_FILL_DRIVER));

	if ((flags & DMAHOST_PCI_SCAN_NAMES) == 0) {
		snprintf(rec->vendor_name, sizeof(rec->vendor_name), "%04x", dev->vendor_id);
		snprintf(rec->device_name, sizeof(rec->device_name), "%04x", dev->device_id);
		return;
	}
	char name[256];
	const char *vendor = pci_lookup_name(pacc, name, sizeof(name), PCI_LOOKUP_VENDOR, dev->vendor_id);
	copy_string(rec->vendor_name, sizeof(rec->vendor_name), vendor);
	const char *device = pci_lookup_name(pacc, name, sizeof(name), PCI_LOOKUP_DEVICE, dev->vendor_id, dev->device_id);
	copy_string(rec->device_name, sizeof(rec->device_name), device);
}

int dmahost_pci_scan(const char *sysfs_path, struct dmahost_pci_function *out, size_t capacity,
		     size_t *count, unsigned int flags, char *err, size_t err_len)
{
	if (count == NULL || (out == NULL && capacity > 0)) {
		copy_string(err, err_len, "dmahost_pci_scan: NULL output");
		return -1;
	}
	*count = 0;
	copy_string(err, err_len, "");

	struct pci_access *pacc = pci_alloc();
	if (pacc == NULL) {
		copy_string(err, err_len, "pci_alloc failed");
		return -1;
	}
	pacc->error = scan_error;
	pacc->warning = scan_quiet;
	pacc->debug = scan_quiet;

	jmp_buf escape;
	/* volatile: read after longjmp. */
	struct pci_access *volatile access = pacc;
	scan_escape = &escape;
	scan_err = err;
	scan_err_len = err_len;
	if (setjmp(escape) != 0) {
		scan_escape = NULL;
		scan_err = NULL;
		/* libpci may be half-initialised; cleanup only frees what it allocated. */
		pci_cleanup(access);
		return -1;
	}

	if (sysfs_path != NULL) {
		access->method = PCI_ACCESS_SYS_BUS_PCI;
		pci_set_param(access, "sysfs.path", (char *)sysfs_path);
	}
	pci_init(access);
	pci_scan_bus(access);

	size_t found = 0;
	for (struct pci_dev *dev = access->devices; dev != NULL; dev = dev->next) {
		if (found < capacity)
			fill_record(access, dev, &out[found], flags);
		found++;
	}
	*count = found;

	scan_escape = NULL;
	scan_err = NULL;
	pci_cleanup(access);
	return 0;
}
