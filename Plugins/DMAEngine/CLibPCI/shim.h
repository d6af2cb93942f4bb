/* libpci (pciutils). Only the CPCIScan C target includes it; Swift uses CPCIScan's plain structs. */
#ifndef DMAHOST_CLIBPCI_SHIM_H
#define DMAHOST_CLIBPCI_SHIM_H
#include <pci/pci.h>
#endif
