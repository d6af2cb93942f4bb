/*
 * DMAHost — internal helper of the DriverHost target (not installed, not ABI).
 */
#ifndef DMAHOST_DIRECTORY_H
#define DMAHOST_DIRECTORY_H

/**
 * `openat(directory, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)`, retried on EINTR:
 * a descriptor that names the directory \b name inside \b directory without reading it (only
 * search permission on the way is needed), and that fails with ELOOP or ENOTDIR when \b name
 * is a symbolic link or not a directory. `O_PATH` needs _GNU_SOURCE, hence this wrapper.
 *
 * \param directory A directory descriptor, or AT_FDCWD.
 * \param name One path component, or "/" (then \b directory is ignored).
 * \return The new descriptor (the caller closes it), or -1 with errno set.
 */
int dmahost_open_directory_path(int directory, const char *name);

#endif /* DMAHOST_DIRECTORY_H */
