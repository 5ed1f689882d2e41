/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reporting of the test programs that run against a live server
 * (toaster_poll_test, toaster_uring_test): one "ok N - ..." or
 * "not ok N - ..." line per check, for the e2e script around them, and
 * fatal() for a setup that failed. Each program is one source file that
 * includes this once; it exits with failures ? 1 : 0.
 */
#ifndef TOASTER_TESTS_CHECK_H
#define TOASTER_TESTS_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int checks, failures;

static void __attribute__((format(printf, 2, 3)))
check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%s %d - ", ok ? "ok" : "not ok", checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Print "PROGRAM: MESSAGE" on stderr and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#endif /* TOASTER_TESTS_CHECK_H */
