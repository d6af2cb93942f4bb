/*
 * DMAHost — the C parts of the CPU copy engine, for Swift: its copy kernels and its worker
 * threads' engine word.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "dmahost_copy_kernels.h"
#include "dmahost_engine_thread.h"
