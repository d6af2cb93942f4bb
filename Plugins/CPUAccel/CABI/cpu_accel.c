/*
 * DMAHost — the CPU accel user context is a header-only layout (include/dmahost/cpu_accel.h);
 * this file exists because a C target needs one source file.
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "dmahost/cpu_accel.h"
