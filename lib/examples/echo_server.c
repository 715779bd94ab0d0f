// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * echo_server: a TCP echo server on one ring: a multishot ACCEPT, and per
 * connection a SOCK_RECV, then a SOCK_SEND (MSG_WAITALL) of what came, then
 * the next SOCK_RECV; a receive of 0 (the client's close) is followed by a
 * CLOSE through the ring. No thread per connection, none per wait.
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
#include <sys/socket.h>
#include <unistd.h>

#include <asyncx.h>

#define MAX_CONNS	1024
#define BUF_SIZE	4096

/* user_data: the op in the low byte, the connection's fd above it. */
enum { OP_ACCEPT, OP_RECV, OP_SEND, OP_CLOSE };
#define UD(op, fd)	((__u64)(fd) << 8 | (op))
#define UD_OP(ud)	((int)((ud) & 0xff))
#define UD_FD(ud)	((int)((ud) >> 8))

static char *bufs[MAX_CONNS];	/* one per connection, by fd */
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
	asyncx_sqe_set_data64(sqe, UD(OP_ACCEPT, lfd));
}

static void queue_recv(struct asyncx_ring *ring, int fd)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_sock_recv(sqe, fd, bufs[fd], BUF_SIZE, 0);
	asyncx_sqe_set_data64(sqe, UD(OP_RECV, fd));
}

static void queue_send(struct asyncx_ring *ring, int fd, unsigned int len)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_sock_send(sqe, fd, bufs[fd], len, MSG_WAITALL | MSG_NOSIGNAL);
	asyncx_sqe_set_data64(sqe, UD(OP_SEND, fd));
}

static void queue_close(struct asyncx_ring *ring, int fd)
{
	struct asyncx_sqe *sqe = sqe_of(ring);

	asyncx_prep_close(sqe, fd);
	asyncx_sqe_set_data64(sqe, UD(OP_CLOSE, fd));
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
			int op = UD_OP(cqe->user_data), fd = UD_FD(cqe->user_data);
			int res = cqe->res;
			bool more = cqe->flags & ASYNCX_CQE_F_MORE;

			asyncx_cqe_seen(&ring, cqe);
			switch (op) {
			case OP_ACCEPT:
				if (res >= 0 && res < MAX_CONNS) {
					if (!bufs[res])
						bufs[res] = malloc(BUF_SIZE);
					queue_recv(&ring, res);
				} else if (res >= 0) {
					close(res);	/* too many */
				} else if (res == -EPERM) {
					fprintf(stderr, "echo_server: ACCEPT: EPERM (is the net_ops parameter on?)\n");
					asyncx_queue_exit(&ring);
					return res;
				}
				if (!more)
					queue_accept(&ring, lfd);
				break;
			case OP_RECV:
				if (res > 0)
					queue_send(&ring, fd, res);
				else
					queue_close(&ring, fd);
				break;
			case OP_SEND:
				if (res > 0)
					queue_recv(&ring, fd);
				else
					queue_close(&ring, fd);
				break;
			case OP_CLOSE:
				break;
			}
		}
	}
	asyncx_queue_exit(&ring);
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
	for (int i = 0; i < MAX_CONNS; i++)
		free(bufs[i]);
	free(clients);
	close(lfd);
	return !ret && good == nclients ? 0 : 1;
}
