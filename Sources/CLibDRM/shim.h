/* libdrm for Swift: device enumeration (drmGetDevices2), version, capabilities, PRIME. */
#ifndef DMAHOST_CLIBDRM_SHIM_H
#define DMAHOST_CLIBDRM_SHIM_H
#include <xf86drm.h>
#endif
