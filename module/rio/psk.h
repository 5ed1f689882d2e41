/* SPDX-License-Identifier: GPL-2.0 */
/* The pre-shared key of a module, from the loader's keyrings (psk.c). */
#ifndef _TOASTER_RIO_PSK_H
#define _TOASTER_RIO_PSK_H

#include <toaster/rio_sec.h>

int rio_psk_load(const char *who, const char *name, struct rio_psk *psk);

#endif /* _TOASTER_RIO_PSK_H */
