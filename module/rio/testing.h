/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit suites (kunit/) may reach inside toaster.ko and
 * toaster_server.ko: symbols exported with EXPORT_SYMBOL_IF_KUNIT (only on
 * kernels with KUnit, in the EXPORTED_FOR_KUNIT_TESTING namespace), and
 * KUnit's static stubs, which let a suite stand in for a function at a
 * precise point to make a race window deterministic. Debian's 6.1 has no
 * KUnit and no <kunit/static_stub.h>: there the stubs are nothing.
 */
#ifndef _TOASTER_RIO_TESTING_H
#define _TOASTER_RIO_TESTING_H

#include <kunit/visibility.h>

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/static_stub.h>
#else
#define KUNIT_STATIC_STUB_REDIRECT(real_fn_name, args...) \
	do { (void)(real_fn_name); (void)(args); } while (0)
#endif

#endif /* _TOASTER_RIO_TESTING_H */
