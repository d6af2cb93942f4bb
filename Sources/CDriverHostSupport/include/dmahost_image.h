/*
 * DMAHost — internal helper of the DriverHost target (not installed, not ABI).
 */
#ifndef DMAHOST_IMAGE_H
#define DMAHOST_IMAGE_H

#pragma clang diagnostic ignored "-Wnullability-completeness"

/**
 * Path of the loaded image (executable or shared object) that contains \b address, as
 * recorded by the dynamic linker (`dladdr(3)`, which needs _GNU_SOURCE and is therefore
 * wrapped here). The string is owned by the dynamic linker; NULL when unknown.
 */
const char *dmahost_image_path_containing(const void *address);

#endif /* DMAHOST_IMAGE_H */
