// SPDX-License-Identifier: GPL-2.0
/*
 * The pre-shared key of a module, from the keyrings of the process that
 * loads it: a "logon" key (its payload cannot be read back from userspace)
 * named "toaster:NAME", e.g.
 *	head -c 32 /dev/urandom | keyctl padd logon toaster:lab @s
 * Only the HKDF PRK derived from it is kept.
 */
/* Log lines name the module that loads the key, not this library. */
#define pr_fmt(fmt) fmt

#include <keys/user-type.h>
#include <linux/err.h>
#include <linux/key.h>
#include <linux/printk.h>
#include <linux/string.h>

#include <toaster/rio_sec.h>

#include "psk.h"

/**
 * rio_psk_load() - look a PSK up and derive what connections need
 * @who: the module asking, for the log line
 * @name: NAME of the key "toaster:NAME"
 * @psk: out: the derived key
 *
 * Process context: the caller's keyrings (session, user, ...) are searched,
 * so this is called at module load, by the process that loads it.
 *
 * Return: 0; -ENOKEY (no such key, or revoked), -EKEYREJECTED (a key of
 * the wrong size), or another error of the lookup; each with a log line.
 */
int rio_psk_load(const char *who, const char *name, struct rio_psk *psk)
{
	const struct user_key_payload *up;
	char desc[80];
	struct key *key;
	int ret = 0;

	if (snprintf(desc, sizeof(desc), "toaster:%s", name) >= sizeof(desc)) {
		pr_err("%s: psk=%s: name too long\n", who, name);
		return -EINVAL;
	}
	key = request_key(&key_type_logon, desc, NULL);
	if (IS_ERR(key)) {
		ret = PTR_ERR(key);
		pr_err("%s: psk=%s: no logon key \"%s\" in the loader's keyrings (%pe); add one with: keyctl padd logon %s @s\n",
		       who, name, desc, key, desc);
		return ret == -ENOKEY || ret == -EKEYREVOKED ||
		       ret == -EKEYEXPIRED ? -ENOKEY : ret;
	}

	down_read(&key->sem);
	up = user_key_payload_locked(key);
	if (!up) {
		ret = -EKEYREVOKED;
	} else if (up->datalen < RIO_PSK_MIN || up->datalen > RIO_PSK_MAX) {
		pr_err("%s: psk=%s: the key has %u bytes, %u to %u needed\n",
		       who, name, up->datalen, RIO_PSK_MIN, RIO_PSK_MAX);
		ret = -EKEYREJECTED;
	} else {
		rio_psk_derive(psk, up->data, up->datalen);
	}
	up_read(&key->sem);
	key_put(key);
	if (ret == -EKEYREVOKED)
		pr_err("%s: psk=%s: key \"%s\" revoked\n", who, name, desc);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(rio_psk_load, TOASTER_RIO);
