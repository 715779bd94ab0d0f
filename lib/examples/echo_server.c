// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * echo_server: a TCP echo server on one ring: a multishot ACCEPT, and per
 * connection one multishot SOCK_RECV into a provided-buffer ring shared by
 * all connections (a connection waiting for data holds no buffer), then a
 * SOCK_SEND (MSG_WAITALL) of each buffer that came, in order, after which
 * the buffer goes back to the ring; a receive of 0 (the client's close) is
 * followed by a CLOSE through the ring. No thread per connection, none per
 * wait, no buffer per idle connection.
 *
 *   echo_server                     serve 127.0.0.1 on a free port and run
 *                                   CLIENTS (100) client threads against
 *                                   it, each sending BYTES (65536) random
 *                                   bytes in chunks and checking every
 *                                   byte that comes back; exit 0 if all did
 *   echo_server CLIENTS BYTES       the same with other numbers
 *   echo_server --port PORT         only serve, on PORT, until killed
 *
 * ACCEPT needs the module's net_ops parameter (see Documentation/uapi.rst).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asyncx.h>

#define MAX_CONNS	1024
#define NR_BUFS		1024		/* in the provided-buffer ring */
#define BUF_SIZE	4096
#define BGID		0

/* user_data: the op, the connection's fd, and a SEND's buffer id. */
enum { OP_ACCEPT, OP_RECV, OP_SEND, OP_CLOSE };
#define UD(op, fd, bid)	((__u64)(bid) << 32 | (__u64)(fd) << 8 | (op))
#define UD_OP(ud)	((int)((ud) & 0xff))
#define UD_FD(ud)	((int)(((ud) >> 8) & 0xffffff))
#define UD_BID(ud)	((int)((ud) >> 32))

/*
 * A connection: the buffers received and not yet echoed, oldest first (a
 * list through next_bid[]), the one being sent at the head.
 */
struct conn {
	int	head, tail;	/* buffer ids, -1: none */
	bool	sending;	/* the head's SEND is in flight */
	bool	eof;		/* the receive ended: close once echoed */
	bool	starved;	/* the receive ended for want of buffers */
};

static struct conn conns[MAX_CONNS];
static struct asyncx_pbuf *pbuf;	/* the provided-buffer ring */
static char *pool;			/* NR_BUFS buffers of BUF_SIZE */
static int next_bid[NR_BUFS], len_bid[NR_BUFS];
static int nr_starved;			/* connections with .starved */
static int finished;		/* client threads done, in self-test mode */

static struct asyncx_sqe *sqe_of(struct asyncx_ring *ring)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	if (!sqe) {
		/* Full: hand what is there to the kernel first. */
		asyncx_submit(ring);
		sqe = asyncx_get_sqe(ring);
	}
	return sqe;
}

static void queue_accept(struct asyncx_ring *ring, int lfd)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	asyncx_sqe_set_data64(sqe, UD(OP_ACCEPT, lfd, 0));
}

static void queue_recv(struct asyncx_ring *ring, int fd)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_sock_recv_multishot(sqe, fd, BGID, 0);
	asyncx_sqe_set_data64(sqe, UD(OP_RECV, fd, 0));
}

/* Echo the connection's oldest buffer, unless one is being sent. */
static void send_next(struct asyncx_ring *ring, int fd)
{
	struct conn *c = &conns[fd];
	struct asyncx_sqe *sqe;

	if (c->sending || c->head < 0)
		return;
	sqe = sqe_of(ring);
	asyncx_prep_sock_send(sqe, fd, pool + (size_t)c->head * BUF_SIZE,
			      len_bid[c->head], MSG_WAITALL | MSG_NOSIGNAL);
	asyncx_sqe_set_data64(sqe, UD(OP_SEND, fd, c->head));
	c->sending = true;
}

static void queue_close(struct asyncx_ring *ring, int fd)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_close(sqe, fd);
	asyncx_sqe_set_data64(sqe, UD(OP_CLOSE, fd, 0));
}

/* Hand buffer @bid back to the kernel. */
static void give_back(int bid)
{
	asyncx_pbuf_add(pbuf, pool + (size_t)bid * BUF_SIZE, BUF_SIZE, bid,
			asyncx_pbuf_mask(NR_BUFS), 0);
	asyncx_pbuf_advance(pbuf, 1);
}

/* A buffer came back: receives that ran dry start again. */
static void restart_starved(struct asyncx_ring *ring)
{
	for (int fd = 0; nr_starved && fd < MAX_CONNS; fd++) {
		if (conns[fd].starved) {
			conns[fd].starved = false;
			nr_starved--;
			queue_recv(ring, fd);
		}
	}
}

static void on_recv(struct asyncx_ring *ring, int fd, int res, __u32 flags)
{
	struct conn *c = &conns[fd];

	if (flags & ASYNCX_CQE_F_BUFFER) {
		int bid = ASYNCX_CQE_BUFFER_ID(flags);

		len_bid[bid] = res;
		next_bid[bid] = -1;
		if (c->tail >= 0)
			next_bid[c->tail] = bid;
		else
			c->head = bid;
		c->tail = bid;
		send_next(ring, fd);
	}
	if (flags & ASYNCX_CQE_F_MORE)
		return;
	/* The receive ended: why? */
	if (res > 0)
		queue_recv(ring, fd);		/* a full CQ: go on */
	else if (res == -ENOBUFS && !c->starved) {
		c->starved = true;		/* till a buffer comes back */
		nr_starved++;
	} else {
		c->eof = true;
	}
	if (c->eof && c->head < 0)
		queue_close(ring, fd);
}

static void on_send(struct asyncx_ring *ring, int fd, int bid, int res)
{
	struct conn *c = &conns[fd];

	c->sending = false;
	c->head = next_bid[bid];
	if (c->head < 0)
		c->tail = -1;
	give_back(bid);
	if (res < 0) {
		/* The client is gone: echo nothing more, return the rest. */
		while (c->head >= 0) {
			int b = c->head;

			c->head = next_bid[b];
			give_back(b);
		}
		c->tail = -1;
	}
	send_next(ring, fd);
	if (c->eof && c->head < 0 && !c->sending)
		queue_close(ring, fd);
	restart_starved(ring);
}

/* Serve until @until client threads are done (0: forever). 0 or -errno. */
static int serve(int lfd, int until)
{
	struct __kernel_timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	int ret;

	ret = asyncx_queue_init(1024, &ring, 0);
	if (ret)
		return ret;
	pool = malloc((size_t)NR_BUFS * BUF_SIZE);
	pbuf = asyncx_setup_pbuf_ring(&ring, NR_BUFS, BGID, &ret);
	if (!pool || !pbuf) {
		asyncx_queue_exit(&ring);
		free(pool);
		return pool ? ret : -ENOMEM;
	}
	for (int bid = 0; bid < NR_BUFS; bid++)
		asyncx_pbuf_add(pbuf, pool + (size_t)bid * BUF_SIZE, BUF_SIZE,
				bid, asyncx_pbuf_mask(NR_BUFS), bid);
	asyncx_pbuf_advance(pbuf, NR_BUFS);
	queue_accept(&ring, lfd);
	while (!until || __atomic_load_n(&finished, __ATOMIC_ACQUIRE) < until) {
		ret = asyncx_submit(&ring);
		if (ret < 0 && ret != -EINTR)
			break;
		/* A tick, so that the loop sees the clients finish. */
		ret = asyncx_wait_cqe_timeout(&ring, &cqe, &tick);
		if (ret && ret != -ETIME && ret != -EINTR)
			break;
		ret = 0;
		while (!asyncx_peek_cqe(&ring, &cqe)) {
			__u64 ud = cqe->user_data;
			int op = UD_OP(ud), fd = UD_FD(ud), res = cqe->res;
			__u32 flags = cqe->flags;

			asyncx_cqe_seen(&ring, cqe);
			switch (op) {
			case OP_ACCEPT:
				if (res >= 0 && res < MAX_CONNS) {
					conns[res] = (struct conn){ .head = -1, .tail = -1 };
					queue_recv(&ring, res);
				} else if (res >= 0) {
					close(res);	/* too many */
				} else if (res == -EPERM) {
					fprintf(stderr, "echo_server: ACCEPT: EPERM (is the net_ops parameter on?)\n");
					ret = res;
					goto out;
				}
				if (!(flags & ASYNCX_CQE_F_MORE))
					queue_accept(&ring, lfd);
				break;
			case OP_RECV:
				on_recv(&ring, fd, res, flags);
				break;
			case OP_SEND:
				on_send(&ring, fd, UD_BID(ud), res);
				break;
			case OP_CLOSE:
				break;
			}
		}
	}
out:
	asyncx_queue_exit(&ring);
	/* (The ring's close dropped the provided-buffer ring.) */
	munmap(pbuf, NR_BUFS * sizeof(*pbuf));
	free(pool);
	return ret < 0 ? ret : 0;
}

struct client {
	pthread_t		thread;
	struct sockaddr_in	addr;
	size_t			bytes;
	unsigned int		seed;
	int			ok;
};

/* A client: chunks of random size and content, each echoed exactly. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	char out[8192], in[8192];
	size_t sent = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&c->addr, sizeof(c->addr)))
		goto out;
	while (sent < c->bytes) {
		size_t n = 1 + rand_r(&c->seed) % sizeof(out), got = 0;

		if (n > c->bytes - sent)
			n = c->bytes - sent;
		for (size_t i = 0; i < n; i++)
			out[i] = (char)rand_r(&c->seed);
		if (write(fd, out, n) != (ssize_t)n)
			goto out;
		while (got < n) {
			ssize_t r = read(fd, in + got, n - got);

			if (r <= 0)
				goto out;
			got += r;
		}
		if (memcmp(in, out, n)) {
			fprintf(stderr, "echo_server: client got other bytes back\n");
			goto out;
		}
		sent += n;
	}
	c->ok = 1;
out:
	if (fd >= 0)
		close(fd);
	__atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int listener(int port, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)sin, &len)) {
		perror("echo_server: listen");
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int nclients = 100, lfd, ret, good = 0;
	size_t bytes = 65536;
	struct sockaddr_in sin;
	struct client *clients;

	if (argc == 3 && !strcmp(argv[1], "--port")) {
		lfd = listener(atoi(argv[2]), &sin);
		if (lfd < 0)
			return 1;
		ret = serve(lfd, 0);
		fprintf(stderr, "echo_server: %s\n", strerror(-ret));
		return 1;
	}
	if (argc == 3) {
		nclients = atoi(argv[1]);
		bytes = strtoull(argv[2], NULL, 0);
	}
	if (nclients < 1 || nclients > MAX_CONNS - 64) {
		fprintf(stderr, "usage: echo_server [CLIENTS BYTES | --port PORT]\n");
		return 2;
	}
	lfd = listener(0, &sin);
	if (lfd < 0)
		return 1;
	clients = calloc(nclients, sizeof(*clients));
	for (int i = 0; i < nclients; i++) {
		clients[i].addr = sin;
		clients[i].bytes = bytes;
		clients[i].seed = 1234 + i;
		pthread_create(&clients[i].thread, NULL, client_main, &clients[i]);
	}
	/* The main thread serves until every client's connection closed. */
	ret = serve(lfd, nclients);
	for (int i = 0; i < nclients; i++) {
		pthread_join(clients[i].thread, NULL);
		good += clients[i].ok;
	}
	printf("echo_server: %d of %d clients got their %zu bytes back\n", good,
	       nclients, bytes);
	free(clients);
	close(lfd);
	return !ret && good == nclients ? 0 : 1;
}
