// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the RIO frame decoder (module/rio/proto.c, the same
 * file the modules build). The input is a header (32 bytes), in either
 * direction, then a HELLO payload and a second header taken as the
 * request the first answers. Checked: what rio_decode() accepts is
 * consistent with the protocol's maxima and re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/rio/portable.h"
#include <toaster/rio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_header(const struct rio_hdr *hdr, enum rio_dir dir)
{
	struct rio_msg m;
	struct rio_hdr again;

	if (rio_decode(hdr, dir, &m) != RIO_OK)
		return;
	if (m.length > RIO_MAX_PAYLOAD || !m.opcode || m.opcode >= RIO_OP_MAX)
		abort();
	if (m.opcode == RIO_OP_IOCTL && m.length > RIO_MAX_IOCTL)
		abort();
	if (m.opcode == RIO_OP_AUTH && (m.tag || m.length > 36))
		abort();
	if ((dir == RIO_DIR_RESPONSE) != !!(m.flags & RIO_F_RESPONSE))
		abort();
	rio_encode(&again, &m);
	if (memcmp(&again, hdr, sizeof(again)))
		abort();
	(void)rio_op_str(m.opcode);
	(void)rio_status_str(m.status);
	(void)rio_status_to_errno(m.status);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rio_hdr hdr, req_hdr;
	struct rio_hello hello;
	struct rio_hello_info info;
	struct rio_msg req, resp;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	check_header(&hdr, RIO_DIR_REQUEST);
	check_header(&hdr, RIO_DIR_RESPONSE);
	data += sizeof(hdr);
	size -= sizeof(hdr);

	if (size >= sizeof(hello)) {
		memcpy(&hello, data, sizeof(hello));
		if (rio_hello_decode(&hello, &info) == RIO_OK &&
		    (info.max_payload > RIO_MAX_PAYLOAD || !info.wait_ms))
			abort();
		data += sizeof(hello);
		size -= sizeof(hello);
	}
	if (size >= sizeof(req_hdr)) {
		memcpy(&req_hdr, data, sizeof(req_hdr));
		if (rio_decode(&req_hdr, RIO_DIR_REQUEST, &req) == RIO_OK &&
		    rio_decode(&hdr, RIO_DIR_RESPONSE, &resp) == RIO_OK &&
		    rio_check_reply(&req, &resp) == RIO_OK) {
			if (req.opcode != resp.opcode || req.tag != resp.tag)
				abort();
			if (!resp.status && req.opcode == RIO_OP_READ &&
			    resp.length > req.arg)
				abort();
		}
	}
	return 0;
}
