/*
 * A plugin that breaks the linkage rule, for the plugin-linkage tests (Tests/DriverHostTests,
 * PluginLinkageTests): it calls the core's spdk_memory_domain_get_first directly instead of
 * reaching the host through the table its entry receives. Built and inspected, never loaded.
 *
 *   (no option)      link it with -lDMAHost: it needs libDMAHost.so and references the symbol
 *   -DEMBED_CORE     it carries its own definition of the symbol, as a plugin that links a copy
 *                    of the core would (and then has a second, invisible registry)
 */
#include <stddef.h>

#include "dmahost/driver.h"
#include "spdk/dma.h"

#ifdef EMBED_CORE
struct spdk_memory_domain *spdk_memory_domain_get_first(const char *id)
{
    (void)id;
    return NULL;
}
#endif

const struct dmahost_driver_ops *dmahost_driver_entry(const struct dmahost_host_api *host)
{
    (void)host;
    (void)spdk_memory_domain_get_first(NULL);
    return NULL;
}
