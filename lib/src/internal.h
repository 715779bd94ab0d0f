/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libasyncx: helpers shared between the library's sources and its host
 * tests; not exported from the shared library (see libasyncx.map).
 */
#ifndef ASYNCX_INTERNAL_H
#define ASYNCX_INTERNAL_H

#include "asyncx.h"

/**
 * struct asyncx_ring_layout - sizes of the three mappings of a ring
 * @sq_ring_sz: bytes to map at ASYNCX_OFF_SQ_RING
 * @sqes_sz: bytes to map at ASYNCX_OFF_SQES
 * @cq_ring_sz: bytes to map at ASYNCX_OFF_CQ_RING
 */
struct asyncx_ring_layout {
	size_t	sq_ring_sz;
	size_t	sqes_sz;
	size_t	cq_ring_sz;
};

int __asyncx_ring_layout(const struct asyncx_params *p,
			 struct asyncx_ring_layout *l);
int __asyncx_ring_bind(struct asyncx_ring *ring, const struct asyncx_params *p,
		       void *sq_ring, void *sqes, void *cq_ring);

#endif /* ASYNCX_INTERNAL_H */
