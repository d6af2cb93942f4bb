/*
 * DMAHost RDMA backend — a memory monitor over userfaultfd (see dmahost_memory_monitor.h).
 * SPDX-License-Identifier: BSD-3-Clause
 */
#define _GNU_SOURCE
#include "dmahost_memory_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif

#define REQUIRED_FEATURES (UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_REMAP)

/* Messages read per wake-up: the sequence stays odd for one read(2) at most. */
#define MESSAGES_PER_READ 64

static void say(char *reason, size_t size, const char *text, int error)
{
	if (reason != NULL && size > 0) {
		snprintf(reason, size, "%s: %s", text, strerror(error));
	}
}

/* A userfaultfd from the system call (flags as given) or, where the call is filtered, from
 * /dev/userfaultfd. Returns the fd or -errno. */
static int open_userfaultfd(int user_mode_only)
{
	int flags = O_CLOEXEC | O_NONBLOCK | (user_mode_only ? UFFD_USER_MODE_ONLY : 0);
	long fd = syscall(SYS_userfaultfd, flags);
	if (fd >= 0) {
		return (int)fd;
	}
	int error = errno;
	int device = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (device < 0) {
		return -error;
	}
	fd = ioctl(device, USERFAULTFD_IOC_NEW, flags);
	int device_error = errno;
	close(device);
	return fd >= 0 ? (int)fd : -(device_error ? device_error : error);
}

/* Negotiates the API with `features` on a fresh fd. Returns 0 or -errno. */
static int negotiate(int fd, uint64_t features, uint64_t *granted)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	if (ioctl(fd, UFFDIO_API, &api) != 0) {
		return -errno;
	}
	if ((api.features & REQUIRED_FEATURES) != REQUIRED_FEATURES) {
		return -EINVAL;
	}
	*granted = api.features;
	return 0;
}

static void append(struct dmahost_memmon *monitor, uintptr_t start, uintptr_t end)
{
	pthread_mutex_lock(&monitor->log_lock);
	monitor->log[monitor->published % DMAHOST_MEMMON_LOG_CAPACITY] = (struct dmahost_memmon_range){ start, end };
	monitor->published += 1;
	pthread_mutex_unlock(&monitor->log_lock);
}

static void count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* Turns one message into a log entry. */
static void handle(struct dmahost_memmon *monitor, const struct uffd_msg *message)
{
	switch (message->event) {
	case UFFD_EVENT_UNMAP:
		count(&monitor->counts.unmap);
		append(monitor, (uintptr_t)message->arg.remove.start, (uintptr_t)message->arg.remove.end);
		break;
	case UFFD_EVENT_REMOVE:
		count(&monitor->counts.remove);
		append(monitor, (uintptr_t)message->arg.remove.start, (uintptr_t)message->arg.remove.end);
		break;
	case UFFD_EVENT_REMAP:
		count(&monitor->counts.remap);
		append(monitor, (uintptr_t)message->arg.remap.from,
		       (uintptr_t)(message->arg.remap.from + message->arg.remap.len));
		break;
	default:
		count(&monitor->counts.unexpected);
		if (message->event == UFFD_EVENT_PAGEFAULT) {
			/* Cannot happen (nothing is write-protected); wake the thread rather than leave it. */
			uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
			struct uffdio_range page = { .start = message->arg.pagefault.address & ~(page_size - 1), .len = page_size };
			ioctl(monitor->fd, UFFDIO_WAKE, &page);
		}
		break;
	}
}

/* Stops trusting the monitor: every waiting thread is released by the close. */
static void fail(struct dmahost_memmon *monitor)
{
	__atomic_store_n(&monitor->failed, 1, __ATOMIC_RELEASE);
	close(monitor->fd);
	__atomic_add_fetch(&monitor->sequence, 2, __ATOMIC_RELEASE);
}

static void *run(void *argument)
{
	struct dmahost_memmon *monitor = argument;
	struct uffd_msg messages[MESSAGES_PER_READ];
	for (;;) {
		struct pollfd waiting = { .fd = monitor->fd, .events = POLLIN };
		int ready = poll(&waiting, 1, -1);
		if (ready < 0) {
			if (errno == EINTR) {
				continue;
			}
			fail(monitor);
			return NULL;
		}
		if (waiting.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fail(monitor);
			return NULL;
		}
		/* Odd before the read that lets the unmapping thread go, even once published. */
		__atomic_add_fetch(&monitor->sequence, 1, __ATOMIC_SEQ_CST);
		ssize_t got = read(monitor->fd, messages, sizeof(messages));
		int error = errno;
		if (got > 0) {
			for (size_t i = 0; i < (size_t)got / sizeof(messages[0]); i++) {
				handle(monitor, &messages[i]);
			}
		}
		__atomic_add_fetch(&monitor->sequence, 1, __ATOMIC_RELEASE);
		if (got < 0 && error != EAGAIN && error != EINTR) {
			fail(monitor);
			return NULL;
		}
	}
}

int dmahost_memmon_start(struct dmahost_memmon **out, char *reason, size_t reason_size)
{
	if (out == NULL) {
		return -EINVAL;
	}
	int fd = open_userfaultfd(1);
	if (fd == -EINVAL) {
		/* Kernels before 5.11 know no user-mode-only flag. */
		fd = open_userfaultfd(0);
	}
	if (fd < 0) {
		say(reason, reason_size, "userfaultfd(2) and /dev/userfaultfd are not available (kernel without CONFIG_USERFAULTFD, or a seccomp filter)", -fd);
		return fd;
	}
	uint64_t granted = 0;
	int rc = negotiate(fd, REQUIRED_FEATURES | UFFD_FEATURE_WP_HUGETLBFS_SHMEM, &granted);
	if (rc != 0) {
		/* The API can be negotiated once per fd: retry the required events alone on a new one. */
		close(fd);
		fd = open_userfaultfd(1);
		if (fd == -EINVAL) {
			fd = open_userfaultfd(0);
		}
		if (fd < 0) {
			say(reason, reason_size, "userfaultfd(2) failed on the second attempt", -fd);
			return fd;
		}
		rc = negotiate(fd, REQUIRED_FEATURES, &granted);
		if (rc != 0) {
			close(fd);
			say(reason, reason_size, "UFFDIO_API: the kernel does not offer the unmap, remove and remap events (Linux 4.11 or later has them)", -rc);
			return rc;
		}
	}
	struct dmahost_memmon *monitor = calloc(1, sizeof(*monitor));
	if (monitor == NULL) {
		close(fd);
		say(reason, reason_size, "cannot allocate the memory monitor", ENOMEM);
		return -ENOMEM;
	}
	monitor->fd = fd;
	monitor->features = granted;
	pthread_mutex_init(&monitor->log_lock, NULL);

	/* The thread runs with every signal blocked: application handlers never run on it. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	rc = pthread_create(&monitor->thread, NULL, run, monitor);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (rc != 0) {
		close(fd);
		pthread_mutex_destroy(&monitor->log_lock);
		free(monitor);
		say(reason, reason_size, "cannot start the memory monitor thread", rc);
		return -rc;
	}
	pthread_setname_np(monitor->thread, "dmahost-memmon");
	pthread_detach(monitor->thread);
	*out = monitor;
	return 0;
}

int dmahost_memmon_watch(struct dmahost_memmon *monitor, uintptr_t start, size_t length)
{
	if (monitor == NULL || length == 0) {
		return -EINVAL;
	}
	if (dmahost_memmon_failed(monitor)) {
		return -ESHUTDOWN;
	}
	struct uffdio_register request = {
		.range = { .start = start, .len = length },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	if (ioctl(monitor->fd, UFFDIO_REGISTER, &request) != 0) {
		int error = errno;
		count(&monitor->counts.refused);
		return -error;
	}
	count(&monitor->counts.watched);
	return 0;
}

size_t dmahost_memmon_collect(struct dmahost_memmon *monitor, uint64_t *cursor, uint64_t *seen,
			      struct dmahost_memmon_range *out, size_t capacity, int *overflowed)
{
	uint64_t sequence;
	while ((sequence = dmahost_memmon_sequence(monitor)) & 1) {
		sched_yield();
	}
	size_t copied = 0;
	int lost = dmahost_memmon_failed(monitor);
	pthread_mutex_lock(&monitor->log_lock);
	uint64_t published = monitor->published;
	uint64_t pending = published - *cursor;
	if (pending > DMAHOST_MEMMON_LOG_CAPACITY || pending > capacity) {
		lost = 1;
	} else {
		for (uint64_t index = *cursor; index < published; index++) {
			out[copied++] = monitor->log[index % DMAHOST_MEMMON_LOG_CAPACITY];
		}
	}
	*cursor = published;
	pthread_mutex_unlock(&monitor->log_lock);
	*seen = sequence;
	if (overflowed != NULL) {
		*overflowed = lost;
	}
	return lost ? 0 : copied;
}

struct dmahost_memmon_counts dmahost_memmon_counts(struct dmahost_memmon *monitor)
{
	struct dmahost_memmon_counts snapshot = {
		.unmap = __atomic_load_n(&monitor->counts.unmap, __ATOMIC_RELAXED),
		.remove = __atomic_load_n(&monitor->counts.remove, __ATOMIC_RELAXED),
		.remap = __atomic_load_n(&monitor->counts.remap, __ATOMIC_RELAXED),
		.unexpected = __atomic_load_n(&monitor->counts.unexpected, __ATOMIC_RELAXED),
		.watched = __atomic_load_n(&monitor->counts.watched, __ATOMIC_RELAXED),
		.refused = __atomic_load_n(&monitor->counts.refused, __ATOMIC_RELAXED),
	};
	return snapshot;
}

int dmahost_memmon_failed(const struct dmahost_memmon *monitor)
{
	return __atomic_load_n(&monitor->failed, __ATOMIC_ACQUIRE);
}
