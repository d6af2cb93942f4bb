/*
 * DMAHost — internal helper of the DriverHost target (not installed, not ABI).
 */
#ifndef DMAHOST_IMAGE_H
#define DMAHOST_IMAGE_H

#pragma clang diagnostic ignored "-Wnullability-completeness"

/**
 * Path of the loaded shared object that contains \b address, as recorded by the dynamic linker
 * (`dladdr1(3)`, which needs _GNU_SOURCE and is therefore wrapped here). The string is owned by
 * the dynamic linker. NULL when unknown, and for the main program, whose name `dladdr` would
 * take from `argv[0]` (which the caller of a set-user-ID program chooses): use
 * `/proc/self/exe` for it.
 */
const char *dmahost_image_path_containing(const void *address);

/**
 * The dynamic linker's record (`struct link_map *`) of the loaded image that contains
 * \b address (`dladdr1(3)` with `RTLD_DL_LINKMAP`); NULL when no loaded image contains it.
 * Only compared, never dereferenced by the caller.
 */
const void *dmahost_image_containing(const void *address);

/**
 * The dynamic linker's record (`struct link_map *`) of the image a `dlopen(3)` handle
 * names (`dlinfo(3)` with `RTLD_DI_LINKMAP`); NULL when \b handle is not valid.
 * Comparable with \ref dmahost_image_containing.
 */
const void *dmahost_image_of_handle(void *handle);

#endif /* DMAHOST_IMAGE_H */
