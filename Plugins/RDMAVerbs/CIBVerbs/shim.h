/* libibverbs, as seen by the CIBVerbs system-library module (pkg-config: libibverbs). */
#ifndef DMAHOST_CIBVERBS_SHIM_H
#define DMAHOST_CIBVERBS_SHIM_H
#include <infiniband/verbs.h>
#endif
