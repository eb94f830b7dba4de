/*
 * jublk native shim: the thin layer between Java (JNA, direct mapping) and the
 * kernel's io_uring and ublk interfaces.
 *
 * Rules for this file and jublk.c:
 *  - policy-free: C executes, Java decides (no retries, no fallbacks, no defaults);
 *  - never prints, never exits; every failure is returned as -errno;
 *  - pointers cross the boundary as 64-bit integers (Java long).
 *
 * The structs below are the shim's own exchange formats with Java (not kernel
 * structs); their layouts are checked by the Java unit tests (ShimLayoutTest).
 */
#ifndef JUBLK_H
#define JUBLK_H

#include <stdint.h>

/* One I/O command for a queue ring: what Java wants submitted (24 + 24 bytes). */
struct jublk_io_cmd {
	uint64_t copy_dst;   /* optional memory copy done before the SQE is queued */
	uint64_t copy_src;   /* 0 = zero-fill copy_dst instead of copying */
	uint64_t copy_len;   /* 0 = no copy */
	uint32_t cmd_op;     /* UBLK_U_IO_* opcode */
	uint16_t tag;
	uint16_t copy_kind;  /* JUBLK_COPY_*: how copy_dst/copy_src are used */
	int32_t  result;     /* COMMIT result */
	uint32_t reserved2;
	uint64_t addr;       /* buffer address for the kernel (0 for USER_COPY) */
};

enum {
	JUBLK_COPY_MEM = 0,        /* memcpy(copy_dst, copy_src) or zero-fill if copy_src == 0 */
	JUBLK_COPY_TO_REQUEST = 1, /* USER_COPY: pwrite(fd, copy_src, len, pos = copy_dst); zeros if copy_src == 0 */
	JUBLK_COPY_FROM_REQUEST = 2, /* USER_COPY: pread(fd, copy_dst, len, pos = copy_src) */
	/*
	 * Rings set up with jublk_ring_use_fixed (AUTO_BUF_REG): the copy becomes an io_uring
	 * READ_FIXED / WRITE_FIXED between the ring's file and the request's registered buffer
	 * (index = tag), linked before the command, so the kernel copies and the command only
	 * runs once the copy fully succeeded. Every copy posts an event with
	 * JUBLK_FIXED_COPY_OP in bits 16-23 of user_data and its res (the bytes copied, or
	 * -errno); when it fails or is short the command linked to it is cancelled (its event
	 * carries -ECANCELED), so its request is still the server's to complete.
	 */
	JUBLK_COPY_FILE_TO_REQUEST = 3, /* READ_FIXED: len bytes at file offset copy_src into the request */
	JUBLK_COPY_REQUEST_TO_FILE = 4  /* WRITE_FIXED: the request's len bytes to file offset copy_dst */
};

/* user_data bits 16-23 of a failed fixed copy's event (no ublk command has this number). */
#define JUBLK_FIXED_COPY_OP 0xfe

/*
 * The memory a queue's copies may touch: the store and the queue's tag buffers. A command
 * whose copy (or kernel buffer address) falls outside them is completed with -EIO and
 * nothing is copied: a bug in Java can fail a request, never scribble over the JVM.
 */
struct jublk_bounds {
	uint64_t store_base;
	uint64_t store_len;
	uint64_t buf_base;
	uint64_t buf_len;
};

/* One completion for Java: the CQE plus a copy of the tag's descriptor (40 bytes). */
struct jublk_event {
	uint64_t user_data;
	int32_t  res;
	uint32_t cqe_flags;
	uint8_t  iod[24];    /* struct ublksrv_io_desc of the tag, copied when res >= 0 */
};

/* Ring lifecycle. Returns a handle (> 0) or -errno. */
int64_t jublk_ring_create(uint32_t entries, uint32_t flags, uint32_t cq_entries);
void    jublk_ring_destroy(int64_t ring);
int32_t jublk_ring_fd(int64_t ring);
uint32_t jublk_ring_features(int64_t ring);

/* Queue a NOP with user_data, submit, wait; returns the CQE's res and stores its user_data. */
int32_t jublk_nop(int64_t ring, uint64_t user_data, int64_t out_user_data);

/*
 * One control command on an SQE128 ring: URING_CMD with the 32-byte payload at
 * `cmd`, submitted and waited for. Returns cqe->res (0 or -errno).
 */
int32_t jublk_ctrl_cmd(int64_t ring, int32_t fd, uint32_t cmd_op, int64_t cmd);

/*
 * The queue hot path, one call per batch: performs the copies of `ncmds`
 * commands (a copy that fails turns the command's result into -EIO, so no request
 * is ever completed without its data)
 * commands, queues them as URING_CMD SQEs on `fd` (payload: q_id, tag, result,
 * addr; user_data = tag | cmd_nr << 16), submits, waits for at least `wait_nr`
 * completions and harvests up to `max_events` CQEs into `events`, copying the
 * descriptor of each tag from `iod_base`. Waiting ends after `timeout_ms`
 * (0 = no limit) with 0 events. Returns the number of events or -errno.
 * Per-tag commands: -EOVERFLOW if they do not fit the SQ (nothing copied or queued);
 * any other error leaves them all copied and queued, and a call with ncmds = 0
 * submits them (what the caller does after a transient -EAGAIN or -ENOMEM).
 */
int32_t jublk_queue_batch(int64_t ring, int32_t fd, uint16_t q_id,
			  int64_t cmds, int32_t ncmds,
			  int64_t events, int32_t max_events,
			  int64_t iod_base, uint32_t depth, int32_t wait_nr, int32_t timeout_ms,
			  int64_t bounds);

/*
 * Switches a queue ring to UBLK_F_BATCH_IO: registers the provided-buffer ring (group 0)
 * that FETCH_IO_CMDS writes tags into, and the element buffers of PREP/COMMIT_IO_CMDS.
 * elem_bytes: 8, or 16 when elements carry a buffer address (no USER_COPY). From then
 * on jublk_queue_batch sends consecutive commands of one opcode (UBLK_U_IO_PREP_IO_CMDS,
 * UBLK_U_IO_COMMIT_IO_CMDS: tag, result, addr) as one command, and a command with
 * UBLK_U_IO_FETCH_IO_CMDS arms the multishot fetch. Its events: one per new request
 * (user_data = tag | 0x27 << 16, res 0, descriptor copied); the end of the fetch and a
 * PREP/COMMIT that failed or handled fewer elements than sent as one event with tag 0xffff,
 * the opcode number at bit 16, nr_elem at bit 32 and the CQE's res (COMMIT: bytes handled).
 * Returns 0 or -errno.
 */
int32_t jublk_batch_setup(int64_t ring, uint16_t q_id, uint32_t depth, int32_t elem_bytes);

/*
 * Switches a queue ring to AUTO_BUF_REG serving: a sparse table of `nr` registered buffers
 * (the kernel registers each request's pages at the index its command names) and the file
 * FILE_* copies use. From then on every command carries its tag as that index (Java's addr
 * must be 0), and a command with a FILE_* copy takes two SQEs. Returns 0 or -errno.
 */
int32_t jublk_ring_use_fixed(int64_t ring, int32_t file_fd, uint32_t nr);

/*
 * Fixed copies queued by jublk_queue_batch that are still running (their event not yet in
 * the CQ), after waiting up to `wait_ms` for that to become 0; or -errno. Consumes no event:
 * requests that arrive meanwhile stay for the next batch call.
 */
int32_t jublk_ring_fixed_copies(int64_t ring, int32_t wait_ms);

/* 1 if the command's copy and buffer address lie inside `bounds` (struct jublk_bounds), else 0. */
int32_t jublk_cmd_in_bounds(int64_t cmd, int64_t bounds);

/*
 * USER_COPY done at once (not in a batch): moves len bytes between `mem` and the request
 * at file position `pos` of the ublk char device; mem == 0 with to_request writes zeros.
 * Returns 0 or -errno.
 */
int32_t jublk_user_copy(int32_t fd, int32_t to_request, int64_t mem, uint64_t len, uint64_t pos);

/*
 * Sends one datagram `msg` to the AF_UNIX socket `path` ('@' first = abstract name):
 * the sd_notify protocol. Returns 0 or -errno.
 */
int32_t jublk_unix_dgram_send(const char *path, const char *msg);

/*
 * After serving a batch, jublk_queue_batch polls the ring for up to `spin_us`
 * microseconds before it blocks (0, the default, blocks at once).
 */
void jublk_ring_set_spin(int64_t ring, uint32_t spin_us);

/* Memory and file helpers (thin wrappers returning -errno). */
int64_t jublk_mmap(int64_t addr, uint64_t len, int32_t prot, int32_t flags, int32_t fd, int64_t off);
int32_t jublk_munmap(int64_t addr, uint64_t len);
int32_t jublk_madvise(int64_t addr, uint64_t len, int32_t advice);
/* Number of resident pages in [addr, addr+len) (page aligned), counted with mincore. */
int64_t jublk_resident_pages(int64_t addr, uint64_t len);
int32_t jublk_open(const char *path, int32_t flags);
/* open(2) with a mode, for O_CREAT (always O_CLOEXEC, like jublk_open). */
int32_t jublk_open_mode(const char *path, int32_t flags, int32_t mode);
int32_t jublk_ftruncate(int32_t fd, int64_t len);
/* lseek(2): the new offset or -errno (SEEK_DATA/SEEK_HOLE find a sparse file's data). */
int64_t jublk_lseek(int32_t fd, int64_t off, int32_t whence);
/* Bytes of storage the file holds: st_blocks * 512 (tmpfs: memory). */
int64_t jublk_allocated_bytes(int32_t fd);
int32_t jublk_mount(const char *source, const char *target, const char *fstype, int64_t flags, const char *data);
int32_t jublk_close(int32_t fd);
int32_t jublk_ioctl_ptr(int32_t fd, uint64_t request, int64_t arg);
int32_t jublk_ioctl_int(int32_t fd, uint64_t request, int64_t arg);
void    jublk_memset(int64_t dst, int32_t value, uint64_t len);
void    jublk_memcpy(int64_t dst, int64_t src, uint64_t len);
int32_t jublk_gettid(void);
int32_t jublk_prctl(int32_t option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
int32_t jublk_sched_setaffinity(int32_t tid, uint64_t size, int64_t mask);
int32_t jublk_kill(int32_t pid, int32_t sig);
/* Tests only: the next `count` io_uring_enter calls of the shim fail with errno `err`. */
void jublk_test_fail_enter(int32_t err, int32_t count);
/* Tests only: registers [addr, addr+len) as fixed buffer `slot` of a jublk_ring_use_fixed ring. */
int32_t jublk_test_register_buffer(int64_t ring, uint32_t slot, int64_t addr, uint64_t len);
/* Tests only: non-zero makes every later fixed copy run in io-wq (IOSQE_ASYNC). */
void jublk_test_fixed_async(int32_t on);

/* sizeof checks for the Java layout test */
int32_t jublk_sizeof(int32_t what);
/*
 * offsetof checks for the Java layout test: `field` numbers the fields of struct
 * jublk_io_cmd (0-8, in declaration order), then jublk_event (100-103), then
 * jublk_bounds (200-203), then the kernel layouts the shim writes itself: struct ublk_batch_io
 * q_id, flags, nr_elem, elem_bytes, size (300-304), struct ublk_elem_header tag, buf_index,
 * result, size (305-308), UBLK_BATCH_F_HAS_BUF_ADDR (309); -EINVAL for anything else.
 */
int32_t jublk_offsetof(int32_t field);

#endif
