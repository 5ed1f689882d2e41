// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of toaster_rio.ko (trace.h), instantiated once. */
#define CREATE_TRACE_POINTS
#include "trace.h"
