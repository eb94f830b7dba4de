/*
 * jublk native shim. See jublk.h for the rules. io_uring is driven through raw
 * syscalls (no liburing): the ring code below is ~150 lines, it keeps the RPM
 * free of a liburing runtime dependency, and it lets us use SQE128 URING_CMD
 * SQEs that liburing 2.3 has no helper for.
 */
#define _GNU_SOURCE
#include "jublk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UBLK_IOD_SIZE 24

struct ring {
	int fd;
	uint32_t flags;
	uint32_t features;
	unsigned sqe_size;
	/* SQ */
	void *sq_ptr;
	size_t sq_len;
	uint32_t *sq_head, *sq_tail, *sq_mask, *sq_entries, *sq_array;
	uint8_t *sqes;
	size_t sqes_len;
	uint32_t sq_local_tail;
	/* CQ */
	void *cq_ptr;
	size_t cq_len;
	uint32_t *cq_head, *cq_tail, *cq_mask;
	/* jublk_queue_batch: how long to poll for work before sleeping (0 = never) */
	uint64_t spin_ns;
	/* how long the last wait for new work lasted (polled or slept); UINT64_MAX after an idle timeout */
	uint64_t last_gap_ns;
	struct io_uring_cqe *cqes;
	/* BATCH_IO state (jublk_batch_setup), NULL for the per-tag commands */
	struct batch *batch;
	/* jublk_ring_use_fixed: commands carry their tag as buffer index; FILE_* copies use fixed_fd */
	int fixed;
	int fixed_fd;
	/* fixed copies queued whose CQE has not been harvested yet (each copy posts one) */
	uint32_t fixed_copies;
	/* per tag (fixed_nr of them): the bytes its last fixed copy moves; its CQE says so on success */
	uint32_t *fixed_len;
	uint32_t fixed_nr;
	/* where a request's buffer starts: 0 for the kernel's; a test's user buffer, its address */
	uint64_t fixed_base;
};

static inline struct ring *R(int64_t h) { return (struct ring *)(uintptr_t)h; }

/* Not in the 6.1 uapi headers of the build host. */
#ifndef IORING_URING_CMD_MULTISHOT
#define IORING_URING_CMD_MULTISHOT (1U << 1)
#endif
#define UBLK_IO_PREP_IO_CMDS 0x25
#define UBLK_IO_COMMIT_IO_CMDS 0x26
#define UBLK_IO_FETCH_IO_CMDS 0x27
#define UBLK_BATCH_F_HAS_BUF_ADDR (1 << 1)
/* struct ublk_batch_io (at SQE offset 48) and struct ublk_elem_header: checked in UapiHeaderTest */
#define BATCH_IO_Q_ID 0
#define BATCH_IO_FLAGS 2
#define BATCH_IO_NR_ELEM 4
#define BATCH_IO_ELEM_BYTES 6
#define BATCH_IO_SIZE 16
#define ELEM_TAG 0
#define ELEM_BUF_INDEX 2
#define ELEM_RESULT 4
#define ELEM_HEADER_SIZE 8
/* user_data tag of a batch command's own CQE: no request has it */
#define BATCH_NO_TAG 0xffffu
/* bytes of each provided buffer FETCH_IO_CMDS writes tags (u16) into */
#define FETCH_BUF_BYTES 128

/*
 * A queue ring's UBLK_F_BATCH_IO state. FETCH_IO_CMDS is multishot: each CQE carries the
 * tags of new requests in one buffer of a provided-buffer ring (group 0), which goes back
 * to the ring as soon as the tags are read. As many buffers as tags: every unread CQE
 * holds at least one tag, so the kernel never runs out. PREP/COMMIT read their elements
 * from one of two element buffers, busy until the command's CQE is seen.
 */
struct batch {
	uint16_t q_id;
	uint16_t depth;
	uint8_t elem_bytes;	/* 8, or 16 with a buffer address (UBLK_BATCH_F_HAS_BUF_ADDR) */
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint32_t nbufs;		/* power of two */
	uint8_t *tag_bufs;	/* nbufs * FETCH_BUF_BYTES */
	size_t tag_bufs_len;
	uint8_t *elems[2];	/* depth * 16 bytes each */
	size_t elems_len;
	int elems_busy[2];
};

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

/* jublk_test_fail_enter: the next `count` io_uring_enter calls fail with `err` (tests only) */
static int32_t fail_enter_err, fail_enter_count;

void jublk_test_fail_enter(int32_t err, int32_t count)
{
	fail_enter_err = err;
	__atomic_store_n(&fail_enter_count, count, __ATOMIC_RELEASE);
}

/* jublk_test_fixed_async: fixed copies forced into io-wq, running after the batch call returned (tests only) */
static int32_t fixed_async;

void jublk_test_fixed_async(int32_t on)
{
	__atomic_store_n(&fixed_async, on, __ATOMIC_RELEASE);
}

/* Tests only: registers [addr, addr+len) as the ring's fixed buffer `slot` (a sparse table); copies then address it. */
int32_t jublk_test_register_buffer(int64_t h, uint32_t slot, int64_t addr, uint64_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	uint64_t tag = 0;
	struct io_uring_rsrc_update2 up;
	memset(&up, 0, sizeof(up));
	up.offset = slot;
	up.data = (uint64_t)(uintptr_t)&iov;
	up.tags = (uint64_t)(uintptr_t)&tag;
	up.nr = 1;
	int ret = (int)syscall(__NR_io_uring_register, R(h)->fd, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up));
	if (ret < 0)
		return -errno;
	R(h)->fixed_base = (uint64_t)addr;
	return 0;
}

static int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, void *arg, size_t argsz)
{
	if (__atomic_load_n(&fail_enter_count, __ATOMIC_RELAXED) > 0 &&
	    __atomic_fetch_sub(&fail_enter_count, 1, __ATOMIC_RELAXED) > 0) {
		errno = fail_enter_err;
		return -1;
	}
	return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	return enter(fd, to_submit, min_complete, flags, NULL, 0);
}

int64_t jublk_ring_create(uint32_t entries, uint32_t flags, uint32_t cq_entries)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (cq_entries) {
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = cq_entries;
	}
	int fd = sys_setup(entries, &p);
	if (fd < 0)
		return -errno;

	struct ring *r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->flags = p.flags;
	r->features = p.features;
	r->sqe_size = (p.flags & IORING_SETUP_SQE128) ? 128 : 64;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq_ptr = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			 IORING_OFF_SQ_RING);
	if (r->sq_ptr == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_ptr = r->sq_ptr;
	} else {
		r->cq_ptr = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
				 IORING_OFF_CQ_RING);
		if (r->cq_ptr == MAP_FAILED) {
			r->cq_ptr = NULL;
			goto fail;
		}
	}
	r->sqes_len = (size_t)p.sq_entries * r->sqe_size;
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		goto fail;
	}
	uint8_t *sq = r->sq_ptr, *cq = r->cq_ptr;
	r->sq_head = (uint32_t *)(sq + p.sq_off.head);
	r->sq_tail = (uint32_t *)(sq + p.sq_off.tail);
	r->sq_mask = (uint32_t *)(sq + p.sq_off.ring_mask);
	r->sq_entries = (uint32_t *)(sq + p.sq_off.ring_entries);
	r->sq_array = (uint32_t *)(sq + p.sq_off.array);
	r->sq_local_tail = *r->sq_tail;
	r->cq_head = (uint32_t *)(cq + p.cq_off.head);
	r->cq_tail = (uint32_t *)(cq + p.cq_off.tail);
	r->cq_mask = (uint32_t *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	/* identity SQ index array: slot i always holds SQE i */
	for (uint32_t i = 0; i < p.sq_entries; i++)
		r->sq_array[i] = i;
	return (int64_t)(uintptr_t)r;
fail:;
	int err = errno;
	jublk_ring_destroy((int64_t)(uintptr_t)r);
	return -err;
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	if (b->br)
		munmap(b->br, b->br_len);
	if (b->tag_bufs)
		munmap(b->tag_bufs, b->tag_bufs_len);
	for (int i = 0; i < 2; i++)
		if (b->elems[i])
			munmap(b->elems[i], b->elems_len);
	free(b);
}

void jublk_ring_destroy(int64_t h)
{
	struct ring *r = R(h);
	if (!r)
		return;
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_ptr && r->cq_ptr != r->sq_ptr)
		munmap(r->cq_ptr, r->cq_len);
	if (r->sq_ptr && r->sq_ptr != MAP_FAILED)
		munmap(r->sq_ptr, r->sq_len);
	close(r->fd);
	/* after close: closing the ring unregisters the buffer ring that uses this memory */
	batch_free(r->batch);
	free(r->fixed_len);
	free(r);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Gives provided buffer `bid` back to the kernel. */
static void batch_recycle(struct batch *b, uint16_t bid)
{
	uint16_t tail = b->br->tail;
	struct io_uring_buf *buf = &b->br->bufs[tail & (b->nbufs - 1)];
	buf->addr = (uint64_t)(uintptr_t)(b->tag_bufs + (size_t)bid * FETCH_BUF_BYTES);
	buf->len = FETCH_BUF_BYTES;
	buf->bid = bid;
	__atomic_store_n(&b->br->tail, (uint16_t)(tail + 1), __ATOMIC_RELEASE);
}

int32_t jublk_batch_setup(int64_t h, uint16_t q_id, uint32_t depth, int32_t elem_bytes)
{
	struct ring *r = R(h);
	if (r->batch || depth == 0 || depth > 4096 || (elem_bytes != 8 && elem_bytes != 16))
		return -EINVAL;
	struct batch *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->q_id = q_id;
	b->depth = (uint16_t)depth;
	b->elem_bytes = (uint8_t)elem_bytes;
	b->nbufs = 1;
	while (b->nbufs < depth)
		b->nbufs <<= 1;
	b->br_len = (size_t)b->nbufs * sizeof(struct io_uring_buf);
	b->tag_bufs_len = (size_t)b->nbufs * FETCH_BUF_BYTES;
	b->elems_len = (size_t)depth * 16;
	b->br = map_anon(b->br_len);
	b->tag_bufs = map_anon(b->tag_bufs_len);
	b->elems[0] = map_anon(b->elems_len);
	b->elems[1] = map_anon(b->elems_len);
	if (!b->br || !b->tag_bufs || !b->elems[0] || !b->elems[1]) {
		batch_free(b);
		return -ENOMEM;
	}
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = b->nbufs;
	reg.bgid = 0;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) {
		int err = -errno;
		batch_free(b);
		return err;
	}
	for (uint32_t i = 0; i < b->nbufs; i++)
		batch_recycle(b, (uint16_t)i);
	r->batch = b;
	return 0;
}

int32_t jublk_ring_use_fixed(int64_t h, int32_t file_fd, uint32_t nr)
{
	struct ring *r = R(h);
	if (r->batch || file_fd < 0 || nr == 0 || nr > 65536)
		return -EINVAL;
	struct io_uring_rsrc_register reg;
	memset(&reg, 0, sizeof(reg));
	reg.nr = nr;
	reg.flags = IORING_RSRC_REGISTER_SPARSE;
	uint32_t *len = calloc(nr, sizeof(*len));
	if (!len)
		return -ENOMEM;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS2, &reg, sizeof(reg)) < 0) {
		free(len);
		return -errno;
	}
	r->fixed_len = len;
	r->fixed_nr = nr;
	r->fixed = 1;
	r->fixed_fd = file_fd;
	return 0;
}

int32_t jublk_ring_fd(int64_t h) { return R(h)->fd; }
uint32_t jublk_ring_features(int64_t h) { return R(h)->features; }
void jublk_ring_set_spin(int64_t h, uint32_t spin_us) { R(h)->spin_ns = (uint64_t)spin_us * 1000; }

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Next free SQE, zeroed, or NULL when the SQ is full. */
static uint8_t *get_sqe(struct ring *r)
{
	uint32_t head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	if (r->sq_local_tail - head >= *r->sq_entries)
		return NULL;
	uint8_t *sqe = r->sqes + (size_t)(r->sq_local_tail & *r->sq_mask) * r->sqe_size;
	r->sq_local_tail++;
	memset(sqe, 0, r->sqe_size);
	return sqe;
}

/* Publish queued SQEs; returns how many are pending submission. */
static unsigned flush_sq(struct ring *r)
{
	__atomic_store_n(r->sq_tail, r->sq_local_tail, __ATOMIC_RELEASE);
	return r->sq_local_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
}

/* Submit everything queued and wait for `wait_nr` completions, retrying EINTR. */
static int submit_wait(struct ring *r, unsigned wait_nr)
{
	for (;;) {
		unsigned pending = flush_sq(r);
		int ret = sys_enter(r->fd, pending, wait_nr, IORING_ENTER_GETEVENTS);
		if (ret >= 0)
			return ret;
		if (errno == EINTR)
			continue;
		return -errno;
	}
}

/*
 * Submit everything queued and wait up to timeout_ms for `wait_nr` completions.
 * A timeout is not an error: it lets an idle queue thread look at its stop flag.
 */
static int submit_wait_timeout(struct ring *r, unsigned wait_nr, int32_t timeout_ms)
{
	if (wait_nr == 0 || timeout_ms <= 0)
		return submit_wait(r, wait_nr);
	struct __kernel_timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L };
	struct io_uring_getevents_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.ts = (uint64_t)(uintptr_t)&ts;
	for (;;) {
		unsigned pending = flush_sq(r);
		int ret = enter(r->fd, pending, wait_nr, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
				sizeof(arg));
		if (ret >= 0)
			return ret;
		if (errno == EINTR)
			continue;
		if (errno == ETIME)
			return 0;
		return -errno;
	}
}

static struct io_uring_cqe *peek_cqe(struct ring *r)
{
	uint32_t head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return NULL;
	return &r->cqes[head & *r->cq_mask];
}

static void cqe_seen(struct ring *r)
{
	__atomic_store_n(r->cq_head, *r->cq_head + 1, __ATOMIC_RELEASE);
}

/* Wait for the CQE carrying `user_data`; other CQEs are not expected on these rings. */
static int wait_one(struct ring *r, uint64_t user_data, uint64_t *seen_ud)
{
	for (;;) {
		struct io_uring_cqe *cqe = peek_cqe(r);
		if (cqe) {
			int res = cqe->res;
			uint64_t ud = cqe->user_data;
			cqe_seen(r);
			if (seen_ud)
				*seen_ud = ud;
			if (ud == user_data)
				return res;
			continue;
		}
		int ret = submit_wait(r, 1);
		if (ret < 0)
			return ret;
	}
}

int32_t jublk_nop(int64_t h, uint64_t user_data, int64_t out_user_data)
{
	struct ring *r = R(h);
	uint8_t *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	s->opcode = IORING_OP_NOP;
	s->user_data = user_data;
	int ret = submit_wait(r, 1);
	if (ret < 0)
		return ret;
	uint64_t ud = 0;
	int res = wait_one(r, user_data, &ud);
	if (out_user_data)
		*(uint64_t *)(uintptr_t)out_user_data = ud;
	return res;
}

int32_t jublk_ctrl_cmd(int64_t h, int32_t fd, uint32_t cmd_op, int64_t cmd)
{
	struct ring *r = R(h);
	if (r->sqe_size != 128)
		return -EINVAL;
	uint8_t *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	static uint64_t seq;
	uint64_t ud = ++seq;
	s->opcode = IORING_OP_URING_CMD;
	s->fd = fd;
	s->cmd_op = cmd_op;
	s->user_data = ud;
	memcpy(sqe + 48, (const void *)(uintptr_t)cmd, 32);
	return wait_one(r, ud, NULL);
}

static void queue_io(uint8_t *sqe, int32_t fd, uint16_t q_id, const struct jublk_io_cmd *c, int fixed)
{
	/*
	 * AUTO_BUF_REG: struct ublk_auto_buf_reg goes in the SQE's own addr field (not the
	 * command's, which must stay 0): index = tag, no flags (no fallback).
	 */
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	if (fixed)
		s->addr = c->tag;
	s->opcode = IORING_OP_URING_CMD;
	s->fd = fd;
	s->cmd_op = c->cmd_op;
	s->user_data = (uint64_t)c->tag | ((uint64_t)(c->cmd_op & 0xff) << 16);
	/* struct ublksrv_io_cmd: q_id @0, tag @2, result @4, addr @8 */
	uint8_t *p = sqe + 48;
	memcpy(p, &q_id, 2);
	memcpy(p + 2, &c->tag, 2);
	memcpy(p + 4, &c->result, 4);
	memcpy(p + 8, &c->addr, 8);
}

static int is_fixed_copy(const struct jublk_io_cmd *c)
{
	return c->copy_len && c->result > 0 &&
	       (c->copy_kind == JUBLK_COPY_FILE_TO_REQUEST || c->copy_kind == JUBLK_COPY_REQUEST_TO_FILE);
}

/* The fixed copy of a command, linked to the command queued right after it. */
static void queue_fixed_copy(uint8_t *sqe, struct ring *r, const struct jublk_io_cmd *c)
{
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	int to_request = c->copy_kind == JUBLK_COPY_FILE_TO_REQUEST;
	s->opcode = to_request ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
	/*
	 * No IOSQE_CQE_SKIP_SUCCESS: the copy may still run in io-wq after the batch call
	 * returned, and its CQE is the only sign that it is done (jublk_ring_fixed_copies).
	 */
	s->flags = IOSQE_IO_LINK | (__atomic_load_n(&fixed_async, __ATOMIC_RELAXED) ? IOSQE_ASYNC : 0);
	s->fd = r->fixed_fd;
	s->off = to_request ? c->copy_src : c->copy_dst;
	s->addr = r->fixed_base; /* the start of the request's buffer */
	s->len = (uint32_t)c->copy_len;
	s->buf_index = c->tag;
	s->user_data = (uint64_t)c->tag | ((uint64_t)JUBLK_FIXED_COPY_OP << 16);
	if (c->tag < r->fixed_nr)
		r->fixed_len[c->tag] = (uint32_t)c->copy_len;
	r->fixed_copies++;
}

static int is_fixed_copy_cqe(const struct io_uring_cqe *cqe)
{
	return ((cqe->user_data >> 16) & 0xff) == JUBLK_FIXED_COPY_OP;
}

/* Fixed copies still running: queued, and their CQE not yet in the CQ. */
static uint32_t fixed_copies_running(struct ring *r)
{
	uint32_t head = *r->cq_head, tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE), posted = 0;
	for (uint32_t i = head; i != tail; i++)
		posted += is_fixed_copy_cqe(&r->cqes[i & *r->cq_mask]);
	return r->fixed_copies - posted;
}

int32_t jublk_ring_fixed_copies(int64_t h, int32_t wait_ms)
{
	struct ring *r = R(h);
	uint64_t deadline = now_ns() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000ull;
	for (;;) {
		uint32_t running = fixed_copies_running(r);
		uint64_t now = now_ns();
		if (running == 0 || now >= deadline)
			return (int32_t)running;
		/* Nothing is consumed: sleep until one more CQE than now is visible, or the time is up. */
		uint32_t visible = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
		int32_t left_ms = (int32_t)((deadline - now + 999999) / 1000000);
		int ret = submit_wait_timeout(r, visible + 1, left_ms);
		if (ret < 0 && ret != -EBUSY)
			return ret;
	}
}

static unsigned sq_free(const struct ring *r)
{
	return *r->sq_entries - (r->sq_local_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE));
}

/* Source of zeros for USER_COPY reads of never-written ranges (no store page is touched). */
static const uint8_t zeros[65536];

/* pread or pwrite the whole range, looping over short transfers; 0 or -errno. */
static int transfer_all(int fd, int to_request, uint8_t *mem, uint64_t len, uint64_t pos)
{
	uint64_t done = 0;
	while (done < len) {
		uint64_t left = len - done;
		ssize_t n;
		if (to_request && !mem)
			n = pwrite(fd, zeros, left < sizeof(zeros) ? left : sizeof(zeros), (off_t)(pos + done));
		else
			n = to_request ? pwrite(fd, mem + done, left, (off_t)(pos + done))
				       : pread(fd, mem + done, left, (off_t)(pos + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

int32_t jublk_user_copy(int32_t fd, int32_t to_request, int64_t mem, uint64_t len, uint64_t pos)
{
	if (!to_request && !mem)
		return -EINVAL;
	return transfer_all(fd, to_request, (uint8_t *)(uintptr_t)mem, len, pos);
}

/* [addr, addr+len) inside [base, base+blen), without overflow. */
static int inside(uint64_t addr, uint64_t len, uint64_t base, uint64_t blen)
{
	return blen != 0 && addr >= base && addr - base <= blen && len <= blen - (addr - base);
}

static int in_memory(uint64_t addr, uint64_t len, const struct jublk_bounds *b)
{
	return inside(addr, len, b->store_base, b->store_len) || inside(addr, len, b->buf_base, b->buf_len);
}

/* The buffer address the kernel copies to/from: 0 (USER_COPY, fixed) or inside the tag buffers. */
static int addr_in_bounds(const struct jublk_io_cmd *c, const struct jublk_bounds *b)
{
	return !c->addr || (b && inside(c->addr, 1, b->buf_base, b->buf_len));
}

/* The copy the shim does (or, for FILE_*, queues) for the command: inside the declared memory. */
static int copy_in_bounds(const struct jublk_io_cmd *c, const struct jublk_bounds *b)
{
	if (!c->copy_len)
		return 1;
	if (!b)
		return 0;
	switch (c->copy_kind) {
	case JUBLK_COPY_MEM:
		return in_memory(c->copy_dst, c->copy_len, b) &&
		       (!c->copy_src || in_memory(c->copy_src, c->copy_len, b));
	case JUBLK_COPY_TO_REQUEST:
		return !c->copy_src || in_memory(c->copy_src, c->copy_len, b);
	case JUBLK_COPY_FROM_REQUEST:
		return in_memory(c->copy_dst, c->copy_len, b);
	case JUBLK_COPY_FILE_TO_REQUEST:
		return c->copy_src <= b->store_len && c->copy_len <= b->store_len - c->copy_src;
	case JUBLK_COPY_REQUEST_TO_FILE:
		return c->copy_dst <= b->store_len && c->copy_len <= b->store_len - c->copy_dst;
	default:
		return 0;
	}
}

int32_t jublk_cmd_in_bounds(int64_t cmd, int64_t bounds)
{
	const struct jublk_io_cmd *c = (const struct jublk_io_cmd *)(uintptr_t)cmd;
	const struct jublk_bounds *b = (const struct jublk_bounds *)(uintptr_t)bounds;
	return addr_in_bounds(c, b) && copy_in_bounds(c, b);
}

/* Moves a command's data; returns 0 or -errno. */
static int do_copy(int32_t fd, const struct jublk_io_cmd *c)
{
	uint8_t *dst = (uint8_t *)(uintptr_t)c->copy_dst;
	uint8_t *src = (uint8_t *)(uintptr_t)c->copy_src;
	switch (c->copy_kind) {
	case JUBLK_COPY_MEM:
		if (src)
			memcpy(dst, src, c->copy_len);
		else
			memset(dst, 0, c->copy_len);
		return 0;
	case JUBLK_COPY_TO_REQUEST:
		return transfer_all(fd, 1, src, c->copy_len, c->copy_dst);
	case JUBLK_COPY_FROM_REQUEST:
		return transfer_all(fd, 0, dst, c->copy_len, c->copy_src);
	default:
		return -EINVAL;
	}
}

/*
 * Every buffer address Java names for the kernel, checked before anything is copied or
 * queued: one outside the tag buffers — or none where a BATCH_IO element needs one — is a
 * bug on our side, and the whole call fails with -EFAULT (the queue ends loudly) rather
 * than hand the kernel another tag's buffer.
 */
static int check_addrs(const struct ring *r, const struct jublk_io_cmd *c, int32_t ncmds, int64_t bounds)
{
	const struct jublk_bounds *b = (const struct jublk_bounds *)(uintptr_t)bounds;
	int need_addr = r->batch && r->batch->elem_bytes == 16;
	for (int32_t i = 0; i < ncmds; i++) {
		if (!addr_in_bounds(&c[i], b))
			return -EFAULT;
		if (need_addr && !c[i].addr && (c[i].cmd_op & 0xff) != UBLK_IO_FETCH_IO_CMDS)
			return -EFAULT;
	}
	return 0;
}

/*
 * The copies of a batch's commands. A command whose copy fails, or falls outside the memory
 * Java declared, gets result -EIO (never a copy outside); its buffer address stays, so the
 * kernel completes that request — and only it — with the error.
 */
static void copy_all(int32_t fd, struct jublk_io_cmd *c, int32_t ncmds, int64_t bounds)
{
	const struct jublk_bounds *b = (const struct jublk_bounds *)(uintptr_t)bounds;
	for (int32_t i = 0; i < ncmds; i++) {
		if (!copy_in_bounds(&c[i], b))
			c[i].result = -EIO;
		else if (c[i].copy_len && c[i].copy_kind <= JUBLK_COPY_FROM_REQUEST && do_copy(fd, &c[i]) < 0)
			c[i].result = -EIO;
	}
}

/* One event for Java: a CQE's user_data/res/flags, with the tag's descriptor when `iod` is set. */
static void put_event(struct jublk_event *ev, uint64_t user_data, int32_t res, uint32_t flags, const uint8_t *iod)
{
	ev->user_data = user_data;
	ev->res = res;
	ev->cqe_flags = flags;
	if (iod)
		memcpy(ev->iod, iod, UBLK_IOD_SIZE);
	else
		memset(ev->iod, 0, UBLK_IOD_SIZE);
}

/*
 * Queues one PREP_IO_CMDS or COMMIT_IO_CMDS for commands c[0..n) (all of that opcode):
 * their elements go to a free element buffer, which stays busy until the CQE is seen.
 */
static int batch_queue_elems(struct ring *r, int32_t fd, const struct jublk_io_cmd *c, int32_t n)
{
	struct batch *b = r->batch;
	int slot = !b->elems_busy[0] ? 0 : !b->elems_busy[1] ? 1 : -1;
	if (slot < 0 || n > b->depth)
		return -EBUSY;
	uint8_t *e = b->elems[slot];
	for (int32_t i = 0; i < n; i++, e += b->elem_bytes) {
		/* struct ublk_elem_header, then the buffer address */
		uint16_t zero = 0;
		memcpy(e + ELEM_TAG, &c[i].tag, 2);
		memcpy(e + ELEM_BUF_INDEX, &zero, 2);
		memcpy(e + ELEM_RESULT, &c[i].result, 4);
		if (b->elem_bytes == 16)
			memcpy(e + ELEM_HEADER_SIZE, &c[i].addr, 8); /* never 0: check_addrs */
	}
	uint8_t *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	uint16_t nr = (uint16_t)n;
	s->opcode = IORING_OP_URING_CMD;
	s->fd = fd;
	s->cmd_op = c[0].cmd_op;
	s->addr = (uint64_t)(uintptr_t)b->elems[slot];
	s->len = (uint32_t)n * b->elem_bytes;
	s->user_data = BATCH_NO_TAG | ((uint64_t)(c[0].cmd_op & 0xff) << 16) | ((uint64_t)slot << 24)
		       | ((uint64_t)nr << 32);
	uint16_t flags = b->elem_bytes == 16 ? UBLK_BATCH_F_HAS_BUF_ADDR : 0;
	memcpy(sqe + 48 + BATCH_IO_Q_ID, &b->q_id, 2);
	memcpy(sqe + 48 + BATCH_IO_FLAGS, &flags, 2);
	memcpy(sqe + 48 + BATCH_IO_NR_ELEM, &nr, 2);
	sqe[48 + BATCH_IO_ELEM_BYTES] = b->elem_bytes;
	b->elems_busy[slot] = 1;
	return 0;
}

/* Queues the multishot FETCH_IO_CMDS: new requests' tags arrive in provided buffers of group 0. */
static int batch_queue_fetch(struct ring *r, int32_t fd, uint32_t cmd_op)
{
	struct batch *b = r->batch;
	uint8_t *sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	struct io_uring_sqe *s = (struct io_uring_sqe *)sqe;
	uint16_t nr = b->depth;
	s->opcode = IORING_OP_URING_CMD;
	s->fd = fd;
	s->cmd_op = cmd_op;
	s->flags = IOSQE_BUFFER_SELECT;
	s->uring_cmd_flags = IORING_URING_CMD_MULTISHOT;
	s->buf_group = 0;
	s->user_data = BATCH_NO_TAG | ((uint64_t)(cmd_op & 0xff) << 16);
	memcpy(sqe + 48 + BATCH_IO_Q_ID, &b->q_id, 2);
	memcpy(sqe + 48 + BATCH_IO_NR_ELEM, &nr, 2);
	sqe[48 + BATCH_IO_ELEM_BYTES] = 2; /* a tag is a u16 */
	return 0;
}

/*
 * Turns waiting CQEs into events: each FETCH CQE into one event per tag (user_data = tag |
 * FETCH_IO_CMDS << 16, res 0), its buffer straight back to the kernel; the end of the
 * multishot FETCH (no IORING_CQE_F_MORE) and a PREP/COMMIT that did not handle every element
 * into one event with tag BATCH_NO_TAG and the CQE's res. A fully handled PREP/COMMIT makes
 * no event. Stops before a CQE whose tags would not fit.
 */
static int32_t batch_harvest(struct ring *r, struct jublk_event *ev, int32_t n, int32_t max_events,
			     const uint8_t *iods, uint32_t depth)
{
	struct batch *b = r->batch;
	struct io_uring_cqe *cqe;
	while ((cqe = peek_cqe(r)) != NULL) {
		uint64_t ud = cqe->user_data;
		uint32_t op = (uint32_t)(ud >> 16) & 0xff;
		int32_t res = cqe->res;
		uint32_t flags = cqe->flags;
		if (op == UBLK_IO_FETCH_IO_CMDS) {
			int32_t ntags = res > 0 && (flags & IORING_CQE_F_BUFFER) ? res / 2 : 0;
			int ended = !(flags & IORING_CQE_F_MORE);
			if (ntags && (res > FETCH_BUF_BYTES || (res & 1) || (uint32_t)ntags > depth)) {
				/* Not what the uapi promises (a kernel or ABI mismatch): no tag is read. */
				if (n + 1 > max_events)
					break;
				put_event(&ev[n++], ud, -EPROTO, flags & ~IORING_CQE_F_MORE, NULL);
				if (flags & IORING_CQE_F_BUFFER)
					batch_recycle(b, (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT));
				cqe_seen(r);
				continue;
			}
			if (n + ntags + ended > max_events)
				break;
			if (flags & IORING_CQE_F_BUFFER) {
				uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
				const uint8_t *tags = b->tag_bufs + (size_t)(bid & (b->nbufs - 1)) * FETCH_BUF_BYTES;
				for (int32_t i = 0; i < ntags; i++) {
					uint16_t tag;
					memcpy(&tag, tags + 2 * i, 2);
					put_event(&ev[n++], tag | ((uint64_t)op << 16), 0, flags,
						  tag < depth && iods ? iods + (size_t)tag * UBLK_IOD_SIZE : NULL);
				}
				batch_recycle(b, bid);
			}
			if (ended)
				put_event(&ev[n++], ud, res > 0 ? 0 : res, flags, NULL);
		} else {
			int slot = (int)(ud >> 24) & 1;
			uint32_t nr = (uint32_t)(ud >> 32) & 0xffff;
			int32_t expect = op == UBLK_IO_COMMIT_IO_CMDS ? (int32_t)(nr * b->elem_bytes) : 0;
			if (res != expect) {
				if (n + 1 > max_events)
					break;
				put_event(&ev[n++], ud, res, flags, NULL);
			}
			b->elems_busy[slot] = 0;
		}
		cqe_seen(r);
	}
	return n;
}

/*
 * jublk_queue_batch on a BATCH_IO ring: consecutive commands of one opcode become one
 * PREP/COMMIT (a FETCH_IO_CMDS command arms the multishot fetch); submit; then wait, if
 * asked, until new requests or a failure arrive — a COMMIT's own CQE does not end the wait.
 */
static int32_t batch_io(struct ring *r, int32_t fd, const struct jublk_io_cmd *c, int32_t ncmds,
			int64_t events, int32_t max_events, int64_t iod_base, uint32_t depth,
			int32_t wait_nr, int32_t timeout_ms)
{
	for (int32_t i = 0; i < ncmds;) {
		uint32_t op = c[i].cmd_op;
		int ret;
		int32_t j = i + 1;
		if ((op & 0xff) == UBLK_IO_FETCH_IO_CMDS) {
			ret = batch_queue_fetch(r, fd, op);
		} else {
			while (j < ncmds && c[j].cmd_op == op)
				j++;
			ret = batch_queue_elems(r, fd, c + i, j - i);
		}
		if (ret < 0)
			return ret;
		i = j;
	}
	struct jublk_event *ev = (struct jublk_event *)(uintptr_t)events;
	const uint8_t *iods = (const uint8_t *)(uintptr_t)iod_base;
	int ret = submit_wait(r, 0);
	if (ret < 0 && ret != -EBUSY)
		return ret;
	int32_t n = batch_harvest(r, ev, 0, max_events, iods, depth);
	if (n == 0 && wait_nr > 0) {
		ret = submit_wait_timeout(r, 1, timeout_ms);
		if (ret < 0 && ret != -EBUSY)
			return ret;
		n = batch_harvest(r, ev, 0, max_events, iods, depth);
	}
	return n;
}

/*
 * The CQEs of a per-tag ring as events. A fixed copy's CQE is counted off; one that moved
 * the whole request needs nothing from Java and is not handed over (it would cost a wake-up
 * and a batch call per request); a failed or short one is.
 */
static int32_t harvest(struct ring *r, struct jublk_event *ev, int32_t max_events, const uint8_t *iods,
		       uint32_t depth)
{
	int32_t n = 0;
	struct io_uring_cqe *cqe;
	while (n < max_events && (cqe = peek_cqe(r)) != NULL) {
		uint16_t tag = (uint16_t)(cqe->user_data & 0xffff);
		if (is_fixed_copy_cqe(cqe)) {
			r->fixed_copies--;
			if (tag < r->fixed_nr && cqe->res > 0 && (uint32_t)cqe->res == r->fixed_len[tag]) {
				cqe_seen(r);
				continue;
			}
		}
		put_event(&ev[n++], cqe->user_data, cqe->res, cqe->flags,
			  cqe->res >= 0 && iods && tag < depth ? iods + (size_t)tag * UBLK_IOD_SIZE : NULL);
		cqe_seen(r);
	}
	return n;
}

int32_t jublk_queue_batch(int64_t h, int32_t fd, uint16_t q_id, int64_t cmds, int32_t ncmds,
			  int64_t events, int32_t max_events, int64_t iod_base, uint32_t depth,
			  int32_t wait_nr, int32_t timeout_ms, int64_t bounds)
{
	struct ring *r = R(h);
	const struct jublk_io_cmd *c = (const struct jublk_io_cmd *)(uintptr_t)cmds;
	if (!r->batch) {
		/*
		 * All of the batch fits, or none of it is touched: a tag has at most one command
		 * (two in fixed mode) in the SQ, which has depth (2 * depth) entries, so this only
		 * fails on a bug. It makes the rule the caller's retry relies on: any error
		 * returned after this point leaves every command of this call copied and queued,
		 * pending submission, so a call with ncmds = 0 submits them, once.
		 */
		unsigned need = 0;
		for (int32_t i = 0; i < ncmds; i++)
			need += r->fixed && is_fixed_copy(&c[i]) ? 2 : 1;
		if (sq_free(r) < need)
			return -EOVERFLOW;
	}
	int bad = check_addrs(r, c, ncmds, bounds);
	if (bad < 0)
		return bad;
	copy_all(fd, (struct jublk_io_cmd *)(uintptr_t)cmds, ncmds, bounds);
	if (r->batch)
		return batch_io(r, fd, c, ncmds, events, max_events, iod_base, depth, wait_nr, timeout_ms);
	for (int32_t i = 0; i < ncmds; i++) {
		/* a linked copy and its command go into one submission: a link never spans two */
		if (r->fixed && is_fixed_copy(&c[i]))
			queue_fixed_copy(get_sqe(r), r, &c[i]);
		queue_io(get_sqe(r), fd, q_id, &c[i], r->fixed);
	}
	/* Do not block if completions are already waiting: just submit. */
	unsigned want = wait_nr > 0 && peek_cqe(r) == NULL ? (unsigned)wait_nr : 0;
	uint64_t wait_start = want && r->spin_ns ? now_ns() : 0;
	if (wait_start && r->last_gap_ns <= r->spin_ns) {
		/*
		 * Poll before sleeping, but only while work has been arriving within the poll
		 * window (adaptive: sparse requests never make us spin). A request that arrives
		 * while this thread still runs costs no wake-up. Each poll enters the kernel
		 * (GETEVENTS, no wait): with DEFER_TASKRUN, requests become CQEs only when this
		 * task runs its deferred work.
		 */
		int ret = submit_wait(r, 0);
		if (ret < 0 && ret != -EBUSY)
			return ret;
		uint64_t now = wait_start;
		while (peek_cqe(r) == NULL && (now = now_ns()) - wait_start < r->spin_ns)
			sys_enter(r->fd, 0, 0, IORING_ENTER_GETEVENTS);
		if (peek_cqe(r) != NULL) {
			want = 0;
			r->last_gap_ns = now - wait_start;
		}
	}
	uint64_t fixed_start = want && r->fixed && timeout_ms > 0 ? now_ns() : 0;
	int ret = submit_wait_timeout(r, want, timeout_ms);
	if (ret < 0 && ret != -EBUSY)
		return ret;
	struct jublk_event *ev = (struct jublk_event *)(uintptr_t)events;
	const uint8_t *iods = (const uint8_t *)(uintptr_t)iod_base;
	int32_t n = harvest(r, ev, max_events, iods, depth);
	/*
	 * Fixed copies that succeeded are not events: if only they came, wait on for the requests
	 * for the rest of the time (a wait without a limit simply waits again).
	 */
	while (n == 0 && want && r->fixed && peek_cqe(r) == NULL) {
		int32_t left_ms = timeout_ms;
		if (fixed_start) {
			uint64_t spent = now_ns() - fixed_start;
			if (spent >= (uint64_t)timeout_ms * 1000000ull)
				break;
			left_ms = (int32_t)(((uint64_t)timeout_ms * 1000000ull - spent + 999999) / 1000000);
		}
		ret = submit_wait_timeout(r, want, left_ms);
		if (ret < 0 && ret != -EBUSY)
			return ret;
		n = harvest(r, ev, max_events, iods, depth);
	}
	if (want && wait_start)
		r->last_gap_ns = n > 0 ? now_ns() - wait_start : UINT64_MAX;
	return n;
}

int64_t jublk_mmap(int64_t addr, uint64_t len, int32_t prot, int32_t flags, int32_t fd, int64_t off)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot, flags, fd, off);
	return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
}

int32_t jublk_munmap(int64_t addr, uint64_t len)
{
	return munmap((void *)(uintptr_t)addr, len) ? -errno : 0;
}

int32_t jublk_madvise(int64_t addr, uint64_t len, int32_t advice)
{
	return madvise((void *)(uintptr_t)addr, len, advice) ? -errno : 0;
}

int64_t jublk_resident_pages(int64_t addr, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	const size_t chunk_pages = 1 << 16;
	unsigned char vec[1 << 16];
	int64_t count = 0;
	uint64_t pages = (len + page - 1) / page;
	for (uint64_t done = 0; done < pages;) {
		size_t n = pages - done < chunk_pages ? (size_t)(pages - done) : chunk_pages;
		if (mincore((void *)(uintptr_t)(addr + done * page), n * page, vec))
			return -errno;
		for (size_t i = 0; i < n; i++)
			count += vec[i] & 1;
		done += n;
	}
	return count;
}

int32_t jublk_open(const char *path, int32_t flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int32_t jublk_open_mode(const char *path, int32_t flags, int32_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
	return fd < 0 ? -errno : fd;
}

int32_t jublk_ftruncate(int32_t fd, int64_t len)
{
	return ftruncate(fd, len) ? -errno : 0;
}

int64_t jublk_lseek(int32_t fd, int64_t off, int32_t whence)
{
	off_t r = lseek(fd, off, whence);
	return r < 0 ? -errno : (int64_t)r;
}

int64_t jublk_allocated_bytes(int32_t fd)
{
	struct stat st;
	if (fstat(fd, &st))
		return -errno;
	return (int64_t)st.st_blocks * 512;
}

int32_t jublk_mount(const char *source, const char *target, const char *fstype, int64_t flags, const char *data)
{
	return mount(source, target, fstype, (unsigned long)flags, data) ? -errno : 0;
}

int32_t jublk_close(int32_t fd) { return close(fd) ? -errno : 0; }

int32_t jublk_ioctl_ptr(int32_t fd, uint64_t request, int64_t arg)
{
	int ret = ioctl(fd, (unsigned long)request, (void *)(uintptr_t)arg);
	return ret < 0 ? -errno : ret;
}

int32_t jublk_ioctl_int(int32_t fd, uint64_t request, int64_t arg)
{
	int ret = ioctl(fd, (unsigned long)request, (unsigned long)arg);
	return ret < 0 ? -errno : ret;
}

void jublk_memset(int64_t dst, int32_t value, uint64_t len) { memset((void *)(uintptr_t)dst, value, len); }
void jublk_memcpy(int64_t dst, int64_t src, uint64_t len)
{
	memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, len);
}

int32_t jublk_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int32_t jublk_prctl(int32_t option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	int ret = prctl(option, a2, a3, a4, a5);
	return ret < 0 ? -errno : ret;
}

int32_t jublk_sched_setaffinity(int32_t tid, uint64_t size, int64_t mask)
{
	return sched_setaffinity(tid, size, (const cpu_set_t *)(uintptr_t)mask) ? -errno : 0;
}

int32_t jublk_kill(int32_t pid, int32_t sig) { return kill(pid, sig) ? -errno : 0; }

int32_t jublk_unix_dgram_send(const char *path, const char *msg)
{
	struct sockaddr_un sa;
	size_t plen = strlen(path);
	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen));
	int err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

int32_t jublk_offsetof(int32_t field)
{
	switch (field) {
	case 0: return offsetof(struct jublk_io_cmd, copy_dst);
	case 1: return offsetof(struct jublk_io_cmd, copy_src);
	case 2: return offsetof(struct jublk_io_cmd, copy_len);
	case 3: return offsetof(struct jublk_io_cmd, cmd_op);
	case 4: return offsetof(struct jublk_io_cmd, tag);
	case 5: return offsetof(struct jublk_io_cmd, copy_kind);
	case 6: return offsetof(struct jublk_io_cmd, result);
	case 7: return offsetof(struct jublk_io_cmd, reserved2);
	case 8: return offsetof(struct jublk_io_cmd, addr);
	case 100: return offsetof(struct jublk_event, user_data);
	case 101: return offsetof(struct jublk_event, res);
	case 102: return offsetof(struct jublk_event, cqe_flags);
	case 103: return offsetof(struct jublk_event, iod);
	case 200: return offsetof(struct jublk_bounds, store_base);
	case 201: return offsetof(struct jublk_bounds, store_len);
	case 202: return offsetof(struct jublk_bounds, buf_base);
	case 203: return offsetof(struct jublk_bounds, buf_len);
	case 300: return BATCH_IO_Q_ID;
	case 301: return BATCH_IO_FLAGS;
	case 302: return BATCH_IO_NR_ELEM;
	case 303: return BATCH_IO_ELEM_BYTES;
	case 304: return BATCH_IO_SIZE;
	case 305: return ELEM_TAG;
	case 306: return ELEM_BUF_INDEX;
	case 307: return ELEM_RESULT;
	case 308: return ELEM_HEADER_SIZE;
	case 309: return UBLK_BATCH_F_HAS_BUF_ADDR;
	default: return -EINVAL;
	}
}

int32_t jublk_sizeof(int32_t what)
{
	switch (what) {
	case 0: return sizeof(struct jublk_io_cmd);
	case 1: return sizeof(struct jublk_event);
	case 2: return sizeof(struct io_uring_sqe);
	case 3: return sizeof(struct io_uring_cqe);
	case 4: return sizeof(struct jublk_bounds);
	default: return -EINVAL;
	}
}
