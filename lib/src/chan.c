// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libasyncx: channels on a ring's context (create and destroy; the SEND
 * and RECV prep helpers are inline in include/asyncx.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "asyncx.h"

int asyncx_chan_create(struct asyncx_ring *ring, unsigned int capacity,
		       unsigned int msg_size)
{
	struct asyncx_chan_params p;

	memset(&p, 0, sizeof(p));
	p.capacity = capacity;
	p.msg_size = msg_size;
	if (ioctl(ring->fd, ASYNCX_IOC_CHAN_CREATE, &p) < 0)
		return -errno;
	return (int)p.id;
}

int asyncx_chan_destroy(struct asyncx_ring *ring, int id)
{
	__u32 cid = (__u32)id;
	int ret;

	ret = ioctl(ring->fd, ASYNCX_IOC_CHAN_DESTROY, &cid);
	return ret < 0 ? -errno : ret;
}
