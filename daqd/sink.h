/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daqd sinks: the consumers of an acquisition.
 *
 * A sink turns the frames in the device's ring into something else (SigMF
 * files, raw samples on stdout, network clients). The contract, which every
 * sink kind follows so that none of them can ever stall the device:
 *
 * - A sink owns its own udaq_reader(s) on the ring and its own thread(s).
 *   The acquisition thread never calls into a sink except daqd_sink_wake(),
 *   which only writes to an eventfd and never blocks. A sink waits on
 *   @wake_fd (poll it together with its own fds: sockets, timers) and then
 *   drains its reader in batches: udaq_frame_batch_peek(), then
 *   udaq_frame_batch_check() for a reader the device may overrun, then
 *   udaq_frame_batch_release() (the file sinks through daqd_batch_gather()
 *   and daqd_batch_release(), sinks/batch.h).
 *
 * - LOSSLESS readers (the recorder, stdout) drive the device's read
 *   pointer: with the stop policy the device waits for them and counts what
 *   it drops, which shows up as a jump in udaq_frame.first_sample (and
 *   UDAQ_FRAME_FLAG_GAP). LOSSY readers (network clients) never hold the
 *   device back; an overrun is reported by the reader (span.lost /
 *   frame.lost_bytes) and the sink resynchronises on a frame boundary
 *   with stream->frame_len.
 *
 * - A sink that fails for good (disk full, broken pipe) calls
 *   daqd_sink_fail(), FREES ITS LOSSLESS READER so that it no longer holds
 *   the device back, and stays failed until the next start. The
 *   acquisition and the other sinks carry on.
 *
 * Lifecycle, driven by the daemon's control thread (never the acquisition
 * thread):
 *
 *   kind-specific constructor, e.g. daqd_recorder_new(cfg, &sink)
 *     -> daqd_sink_init() inside it
 *   repeat per acquisition (daqctl start/stop may repeat it):
 *     ops->start(sink, stream)   before the device starts; create readers
 *                                now (they begin at stream position 0)
 *     ... daqd_sink_wake() from the acquisition thread, many times ...
 *     ops->rotate(sink)          any time, asynchronous (SIGHUP, daqctl)
 *     ops->stop(sink)            after the device stopped: consume what is
 *                                left (lossless), close outputs, join
 *                                threads, free readers. Bounded time.
 *   ops->destroy(sink)           -> daqd_sink_cleanup() inside it
 *
 * ops->status() may be called from the control thread at any time (between
 * or during acquisitions) and must only read atomics or take a short lock
 * that the data path never holds across I/O.
 */
#ifndef DAQD_SINK_H
#define DAQD_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <uio_daq/digitizer.h>
#include <uio_daq/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct daqd_stream - one acquisition as sinks see it. Owned by the
 * daemon, constant from ops->start() until ops->stop() returns.
 * @ring: the device ring; create readers on it.
 * @frame_len: bytes every frame of this acquisition occupies in the ring
 *             (for resynchronising lossy readers).
 * @sample_rate: Hz per channel; 0 when free-running (no nominal rate).
 * @num_channels: channels per sample (interleaved in each frame payload).
 * @chan_mask: device channels enabled.
 * @datatype: SigMF datatype of the payload, "ri16_le".
 * @sample_bytes: bytes of one multi-channel sample (num_channels * 2).
 * @hw: human readable description of the device, for metadata.
 * @max_samples: sinks deliver only samples with device index below this
 *               (per channel), so a --duration recording is exact; 0 is
 *               unlimited.
 * @start_realtime: wall-clock time of device sample 0 (frame timestamps
 *                  are nanoseconds since then).
 * @policy: the device's full-ring policy. With UDAQ_POLICY_OVERWRITE the
 *          device never waits, so even a "lossless" consumer can be
 *          overrun: use a LOSSY reader and check what you used
 *          (daqd_batch_stabilize() does this for batches).
 * @acq_id: increments with every acquisition of this daemon run.
 * @started: false until the device has started. udaq_digitizer_start()
 *           resets the ring and every reader on it, so a sink creates its
 *           readers in ops->start() but must not peek or release before
 *           this is true: call daqd_sink_wait_started() first thing in its
 *           thread.
 * @end_sample: 0 while the device runs; once it has stopped (before the
 *              sinks are told to stop), the device sample index one past
 *              the last sample it produced or dropped, capped at
 *              @max_samples. A lossless sink whose last sample is below it
 *              knows that many samples were lost at the very end.
 */
struct daqd_stream {
	struct udaq_ring *ring;
	size_t frame_len;
	uint32_t sample_rate;
	uint32_t num_channels;
	uint32_t chan_mask;
	const char *datatype;
	size_t sample_bytes;
	const char *hw;
	uint64_t max_samples;
	struct timespec start_realtime;
	enum udaq_policy policy;
	uint64_t acq_id;
	atomic_bool started;
	_Atomic uint64_t end_sample;
	_Atomic uint32_t end_reason;	/* enum daqd_end_reason, set before the device stops */
};

/* Why an acquisition ended, for sinks that tell their peers (stream END). */
enum daqd_end_reason {
	DAQD_END_STOPPED = 1,		/* --duration, a control stop, end of sample limit */
	DAQD_END_SHUTDOWN = 2,		/* daqd is exiting (SIGTERM, SIGINT) */
	DAQD_END_DEVICE_ERROR = 3,	/* DMA error, device gone */
};

enum daqd_sink_state {
	DAQD_SINK_IDLE = 0,	/* constructed or stopped */
	DAQD_SINK_RUNNING,
	DAQD_SINK_FAILED,	/* gave up; see error; reader released */
};

struct daqd_sink;

struct daqd_sink_ops {
	const char *kind;	/* "sigmf", "stdout", "net": the JSON "kind" */
	int (*start)(struct daqd_sink *sink, const struct daqd_stream *stream);
	void (*stop)(struct daqd_sink *sink);
	void (*rotate)(struct daqd_sink *sink);		/* may be NULL */
	void (*status)(struct daqd_sink *sink, struct json_object *obj); /* may be NULL */
	/*
	 * Hand over the announcements queued since the last call (trigger
	 * events), oldest first: @emit takes each object's reference. Control
	 * thread; may be NULL.
	 */
	void (*take_events)(struct daqd_sink *sink,
			    void (*emit)(void *arg, struct json_object *ev), void *arg);
	void (*destroy)(struct daqd_sink *sink);
};

/*
 * Counters every sink keeps (updated by the sink's thread, read by the
 * control thread). Samples are per channel, i.e. multi-channel samples.
 * @lost_samples: samples this sink did not deliver because they never
 * reached it: dropped by the device (gaps) or overwritten before a lossy
 * reader got them.
 */
struct daqd_sink_counters {
	_Atomic uint64_t bytes;
	_Atomic uint64_t frames;
	_Atomic uint64_t samples;
	_Atomic uint64_t lost_samples;
	_Atomic uint64_t gaps;
	_Atomic uint64_t errors;
};

/*
 * struct daqd_sink - the part every sink kind embeds (first member, or use
 * container_of) and initialises with daqd_sink_init().
 * @name: unique instance name shown in status ("sigmf", "stdout", "net").
 * @wake_fd: eventfd, readable when data may be available or a request
 *           (stop/rotate) is pending; read it with daqd_sink_clear_wake().
 * @stream: the current acquisition, NULL while idle.
 */
struct daqd_sink {
	const struct daqd_sink_ops *ops;
	char name[32];
	int wake_fd;
	const struct daqd_stream *stream;
	_Atomic int state;		/* enum daqd_sink_state */
	atomic_bool stop_requested;	/* drain and finish */
	atomic_bool rotate_requested;
	struct daqd_sink_counters c;

	pthread_mutex_t err_lock;	/* guards error[] only */
	char error[256];
	int err;			/* negative errno of the failure */
};

/*
 * daqd_sink_init() - Initialise the common part. Thread: constructor.
 * Return: 0 or -errno (eventfd).
 */
int daqd_sink_init(struct daqd_sink *sink, const struct daqd_sink_ops *ops,
		   const char *name);
/* daqd_sink_cleanup() - Release what daqd_sink_init() took. */
void daqd_sink_cleanup(struct daqd_sink *sink);

/*
 * daqd_sink_begin() - Common part of ops->start(): reset the counters and
 * the error, clear requests, set @stream and RUNNING. Call first thing in
 * ops->start().
 */
void daqd_sink_begin(struct daqd_sink *sink, const struct daqd_stream *stream);

/*
 * daqd_sink_wake() - Make @wake_fd readable. Never blocks, any thread,
 * async-signal-safe. daqd_sink_request_stop() / _rotate() set the flag and
 * wake.
 */
void daqd_sink_wake(struct daqd_sink *sink);
void daqd_sink_request_stop(struct daqd_sink *sink);
void daqd_sink_request_rotate(struct daqd_sink *sink);

/*
 * daqd_sink_wait_started() - Wait until the device has started
 * (stream->started) or a stop was requested. The sink's thread, before it
 * first touches its readers. Return: true if started, false if stopping.
 */
bool daqd_sink_wait_started(struct daqd_sink *sink);

/* daqd_sink_clear_wake() - Consume pending wake-ups (the sink's thread). */
void daqd_sink_clear_wake(struct daqd_sink *sink);

/*
 * daqd_sink_wait() - Wait until woken or @timeout_ms passed (-1: forever).
 * For sinks with no other fds to poll. Return: 1 woken, 0 timeout.
 */
int daqd_sink_wait(struct daqd_sink *sink, int timeout_ms);

/*
 * daqd_sink_fail() - Record a fatal error: state FAILED, the message (also
 * logged), errors++. The caller then frees its lossless reader.
 * Any thread.
 */
void daqd_sink_fail(struct daqd_sink *sink, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* daqd_sink_state_name() - "idle", "running", "failed". */
/*
 * Loss, counted the same way by every sink. daqd_sink_count_gap(): the
 * samples between @expected (the next device index this sink wanted) and
 * @first (the one it got), added to @sink's lost samples and gaps; returns
 * them (0 if none). daqd_sink_count_end(): after the device stopped, the
 * samples between @next (one past the last this sink delivered) and the
 * stream's end_sample, counted the same way; call it once, when the sink
 * stops without having failed.
 */
uint64_t daqd_sink_count_gap(struct daqd_sink *sink, uint64_t expected, uint64_t first);
uint64_t daqd_sink_count_end(struct daqd_sink *sink, uint64_t next);

const char *daqd_sink_state_name(enum daqd_sink_state state);

/*
 * daqd_sink_spawn() - The end of an ops->start(): run @fn(@arg) in
 * *@thread and set *@running. If the thread cannot be made, free *@reader
 * (set to NULL) and fail the sink. Return: 0 or -errno.
 * daqd_sink_join() - In ops->stop(): ask the thread to stop and join it,
 * if *@running.
 */
int daqd_sink_spawn(struct daqd_sink *sink, pthread_t *thread, bool *running,
		    void *(*fn)(void *), void *arg, struct udaq_reader **reader);
void daqd_sink_join(struct daqd_sink *sink, pthread_t thread, bool *running);

/*
 * daqd_sink_thread_begin() - First thing in a sink's thread: name it
 * @name (top, ps and the benchmark tell threads apart by it) and
 * daqd_sink_wait_started(). Return: true if started, false if stopping.
 */
bool daqd_sink_thread_begin(struct daqd_sink *sink, const char *name);

/*
 * daqd_sink_acq_stamp() - The acquisition's start time for file names,
 * "20261202T164155.914409Z" (UTC, microseconds): names sort in time order.
 * @len >= 40.
 */
void daqd_sink_acq_stamp(const struct daqd_stream *st, char *buf, size_t len);

struct daqd_sigmf_meta;
/*
 * daqd_sink_meta_init() - The global fields of a new recording's metadata
 * from the stream (datatype, rate, channels, hardware, acquisition), with
 * @recorder ("daqd VERSION") and @file_index.
 */
void daqd_sink_meta_init(struct daqd_sigmf_meta *m, const struct daqd_stream *st,
			 const char *recorder, uint32_t file_index);

/*
 * daqd_sink_status_json() - A new JSON object with the common fields (name,
 * kind, state, error, counters) plus ops->status(). Control thread.
 * Return: the object (caller puts it), or NULL on allocation failure.
 */
struct json_object *daqd_sink_status_json(struct daqd_sink *sink);

#ifdef __cplusplus
}
#endif

#endif /* DAQD_SINK_H */
