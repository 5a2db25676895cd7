// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daqd: set up (settings, device, sinks, control socket, privileges), run
 * the control loop (signals, timer, control requests, end of acquisition),
 * shut down cleanly with a summary. The control commands themselves are in
 * commands.c.
 *
 * Threads: this one (control), the acquisition thread (acq.c), one per
 * sink. Signals are blocked in all of them and read here via signalfd, so
 * no handler ever runs on the data path.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <uio_daq/frame.h>

#include "commands.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "privdrop.h"
#include "recorder.h"
#include "stdout_sink.h"
#include "trigger.h"
#include "stream_server.h"

#define TICK_MS		250

struct loop {
	struct daqd *d;
	bool quit;
	int exit_code;
};

/* "sim" gets its ring size from the settings unless the spec names one. */
static char *device_spec(const struct daqd_config *cfg)
{
	char *spec;
	int n;

	if (!udaq_sim_spec_options(cfg->device) || strstr(cfg->device, "ring="))
		return strdup(cfg->device);
	n = asprintf(&spec, "%s%sring=%llu", cfg->device,
		     cfg->device[3] == ':' ? "," : ":",
		     (unsigned long long)cfg->ring_size);
	return n < 0 ? NULL : spec;
}

static void fill_digitizer_config(const struct daqd_config *cfg,
				  struct udaq_digitizer_config *dc)
{
	bool freerun = cfg->freerun || cfg->rate == 0;

	memset(dc, 0, sizeof(*dc));
	dc->sample_rate = freerun ? 0 : cfg->rate;
	dc->chan_mask = cfg->channels >= 32 ? 0xffffffffu : (1u << cfg->channels) - 1;
	dc->format = UDAQ_FORMAT_I16LE;
	/* 0: the driver's default, asked back by daqd_acq_init(). */
	dc->frame_samples = cfg->frame_samples;
	dc->policy = cfg->policy;
	dc->irq_threshold = cfg->irq_threshold;
	dc->irq_timeout_us = cfg->irq_timeout_us;
	dc->test_pattern = cfg->test_pattern;
	dc->freerun = freerun;
}

static int open_device(struct daqd *d)
{
	const struct udaq_digitizer_caps *caps;
	char msg[256];
	char *spec = device_spec(&d->cfg);
	int ret;

	if (!spec)
		return -ENOMEM;
	ret = udaq_ctx_new(&d->ctx);
	if (ret) {
		free(spec);
		daqd_log(DAQD_LOG_ERR, "cannot create the library context: %s", strerror(-ret));
		return ret;
	}
	ret = udaq_dev_open(d->ctx, spec, &d->dev);
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "device '%s': %s%s", spec, strerror(-ret),
			 ret == -ENODEV ? " (lsdaq lists the devices there are)" :
			 ret == -EINVAL ? " (malformed device spec or simulator option)" :
			 ret == -EBUSY ? " (the name matches several devices; use uioN)" : "");
		/* A malformed spec is a bad value like any other: exit 2. */
		d->bad_settings = ret == -EINVAL;
		free(spec);
		return ret;
	}
	free(spec);
	ret = udaq_digitizer_open(d->dev, &d->dg);
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "device '%s' (%s): %s", d->cfg.device,
			 udaq_dev_name(d->dev),
			 ret == -ENODEV ? "no driver for this device" : strerror(-ret));
		return ret;
	}
	fill_digitizer_config(&d->cfg, &d->dcfg);
	ret = udaq_digitizer_config_check(d->dg, &d->dcfg, msg, sizeof(msg));
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "device '%s' cannot do these settings: %s",
			 d->cfg.device, msg);
		d->bad_settings = true;	/* nothing was started */
		return ret;
	}
	ret = udaq_digitizer_configure(d->dg, &d->dcfg);
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "device '%s': configuring failed: %s", d->cfg.device,
			 strerror(-ret));
		return ret;
	}
	caps = udaq_digitizer_caps(d->dg);
	snprintf(d->hw, sizeof(d->hw), "%s (%s%s%s) %s v%u.%u, %u channels, %u-bit",
		 udaq_dev_name(d->dev), udaq_dev_devname(d->dev),
		 udaq_dev_pci_addr(d->dev) ? " " : "",
		 udaq_dev_pci_addr(d->dev) ? udaq_dev_pci_addr(d->dev) : "",
		 caps->model, caps->version >> 16, caps->version & 0xffff,
		 caps->num_channels, caps->sample_bits);
	return 0;
}

static int create_sinks(struct daqd *d)
{
	char err[256];
	int ret;

	if (d->cfg.output_dir) {
		ret = daqd_recorder_new(&d->cfg, &d->sinks[d->nsinks], err, sizeof(err));
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			return ret;
		}
		d->nsinks++;
	}
	if (d->cfg.to_stdout) {
		ret = daqd_stdout_sink_new(STDOUT_FILENO, &d->sinks[d->nsinks]);
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "stdout sink: %s", strerror(-ret));
			return ret;
		}
		d->stdout_sink = d->sinks[d->nsinks++];
	}
	for (size_t i = 0; i < d->cfg.ntriggers; i++) {
		ret = daqd_trigger_new(&d->cfg, &d->cfg.triggers[i], &d->sinks[d->nsinks],
				       err, sizeof(err));
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			return ret;
		}
		d->nsinks++;
	}
	if (d->cfg.listen) {
		ret = daqd_net_new_list(d->cfg.listen, d->cfg.max_clients,
					&d->sinks[d->nsinks], err, sizeof(err));
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			return ret;
		}
		d->nsinks++;
	}
	return 0;
}

static void on_tick(struct loop *lp, bool tty, double *next_log, double *next_notify,
		    uint64_t *last_beat)
{
	struct daqd *d = lp->d;
	struct timespec now;
	double t;
	char line[512];

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (double)(now.tv_sec - d->t0.tv_sec) + (double)(now.tv_nsec - d->t0.tv_nsec) / 1e9;
	if (d->ctl)
		daqd_control_dispatch(d->ctl);
	daqd_publish_events(d);
	if (t < *next_notify && !(tty && !d->cfg.quiet))
		return;
	daqd_status_tick(d);
	daqd_status_text(d, line, sizeof(line));
	if (tty && !d->cfg.quiet)
		daqd_log_status_line(line);
	else if (d->cfg.status_interval > 0 && t >= *next_log) {
		daqd_log(DAQD_LOG_INFO, "%s", line);
		*next_log = t + d->cfg.status_interval;
	}
	if (t >= *next_notify) {
		uint64_t beat = atomic_load(&d->acq.heartbeat);

		daqd_notify_status(line);
		/* Pet the watchdog only while the acquisition thread is alive. */
		if (beat != *last_beat || atomic_load(&d->acq.state) != DAQD_ACQ_RUNNING)
			daqd_notify_watchdog();
		*last_beat = beat;
		*next_notify = t + 1.0;
	}
	/* A closed pipe ends "daqd --stdout | head": that is a normal end. */
	if (d->stdout_sink && atomic_load(&d->stdout_sink->state) == DAQD_SINK_FAILED &&
	    d->stdout_sink->err == -EPIPE) {
		lp->quit = true;
	}
}

static int run(struct daqd *d)
{
	struct loop lp = { .d = d };
	struct itimerspec its = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};
	bool tty = isatty(STDERR_FILENO);
	double next_log, next_notify = 0;
	uint64_t last_beat = 0;
	sigset_t mask;
	int sfd, tfd, ret;
	char line[512];

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		daqd_log(DAQD_LOG_ERR, "signalfd/timerfd: %s", strerror(errno));
		return 1;
	}
	next_log = d->cfg.status_interval;

	ret = daqd_acq_start(&d->acq);
	if (ret) {
		close(sfd);
		close(tfd);
		return 1;
	}
	daqd_log(DAQD_LOG_INFO, "recording from %s: %u channels at %s%u Hz%s%s",
		 d->hw, d->acq.stream.num_channels,
		 d->dcfg.freerun ? "free-run, nominal " : "", d->cfg.rate,
		 d->cfg.output_dir ? " into " : "",
		 d->cfg.output_dir ? d->cfg.output_dir : "");
	daqd_status_text(d, line, sizeof(line));
	daqd_notify_ready(line);

	while (!lp.quit) {
		struct pollfd pfd[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
			{ .fd = d->acq.event_fd, .events = POLLIN },
			{ .fd = d->ctl ? daqd_control_fd(d->ctl) : -1, .events = POLLIN },
		};

		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			daqd_log(DAQD_LOG_ERR, "poll: %s", strerror(errno));
			lp.exit_code = 1;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					daqd_log(DAQD_LOG_INFO, "SIGHUP: rotating files");
					daqd_rotate_all(d);
				} else {
					daqd_log(DAQD_LOG_INFO, "%s: stopping",
						 strsignal((int)si.ssi_signo));
					lp.quit = true;
				}
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t exp;

			if (read(tfd, &exp, sizeof(exp)) == sizeof(exp))
				on_tick(&lp, tty, &next_log, &next_notify, &last_beat);
		}
		if (pfd[2].revents & POLLIN) {
			int state = atomic_load(&d->acq.state);

			daqd_acq_stop(&d->acq);
			daqd_publish_events(d);	/* the events the stop completed */
			if (state == DAQD_ACQ_FAILED) {
				lp.exit_code = 1;
				lp.quit = true;
			} else if (d->cfg.duration > 0) {
				lp.quit = true;	/* --duration reached */
			}
		}
		if (pfd[3].revents & POLLIN)
			daqd_control_dispatch(d->ctl);
	}
	daqd_notify_stopping();
	{
		/* Still running: it ends because daqd exits (unless it just failed). */
		uint32_t stopped = DAQD_END_STOPPED;

		atomic_compare_exchange_strong(&d->acq.stream.end_reason, &stopped,
					       DAQD_END_SHUTDOWN);
	}
	daqd_acq_stop(&d->acq);
	daqd_publish_events(d);
	daqd_status_tick(d);
	daqd_log_status_end();
	daqd_summary(d);
	for (size_t i = 0; i < d->nsinks; i++) {
		struct daqd_sink *s = d->sinks[i];

		/* A broken pipe under --stdout is how pipelines end. */
		if (atomic_load(&s->state) == DAQD_SINK_FAILED &&
		    !(s == d->stdout_sink && s->err == -EPIPE))
			lp.exit_code = 1;
	}
	if (atomic_load(&d->acq.state) == DAQD_ACQ_FAILED)
		lp.exit_code = 1;
	close(sfd);
	close(tfd);
	return lp.exit_code;
}

int main(int argc, char **argv)
{
	struct daqd d;
	char err[512];
	sigset_t mask;
	int ret, code = 1;

	memset(&d, 0, sizeof(d));
	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	d.rate_t = d.t0;
	/* Before any thread exists (the simulator starts one), so all inherit. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (daqd_config_defaults(&d.cfg)) {
		daqd_log(DAQD_LOG_ERR, "out of memory");
		return 1;
	}
	ret = daqd_config_parse_args(&d.cfg, argc, argv, err, sizeof(err));
	if (ret == 1) {
		daqd_config_free(&d.cfg);
		return 0;
	}
	if (ret == 0)
		ret = daqd_config_check(&d.cfg, err, sizeof(err));
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "%s", err);
		daqd_config_free(&d.cfg);
		return 2;
	}
	if (udaq_sim_spec_options(d.cfg.device)) {
		char *spec = device_spec(&d.cfg);

		ret = spec ? udaq_sim_options_check(spec, err, sizeof(err)) : -ENOMEM;
		if (ret) {
			/* The full spec: ring= may come from --ring-size / ring_size. */
			daqd_log(DAQD_LOG_ERR, "device '%s': %s", spec ? spec : d.cfg.device, err);
			free(spec);
			daqd_config_free(&d.cfg);
			return 2;
		}
		free(spec);
	}
	if (d.cfg.to_stdout && isatty(STDOUT_FILENO)) {
		daqd_log(DAQD_LOG_ERR, "--stdout: stdout is a terminal; pipe it into a program or a file");
		daqd_config_free(&d.cfg);
		return 2;
	}

	/* Directories daqd makes must belong to the user it drops to. */
	if (daqd_privdrop_prepare(&d.cfg, err, sizeof(err))) {
		daqd_log(DAQD_LOG_ERR, "%s", err);
		code = 2;
		goto out;
	}
	/* Sinks first: an unusable output is a bad setting, found before the device. */
	if (create_sinks(&d)) {
		code = 2;
		goto out;
	}
	if (open_device(&d)) {
		if (d.bad_settings)
			code = 2;
		goto out;
	}
	ret = daqd_acq_init(&d.acq, d.dg, d.sinks, d.nsinks, &d.dcfg, d.cfg.duration, d.hw);
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "acquisition setup: %s", strerror(-ret));
		goto out;
	}
	d.acq_ready = true;
	/* Triggers whose history the ring can never hold: a bad setting. */
	for (size_t i = 0; i < d.cfg.ntriggers; i++) {
		if (daqd_trigger_check_ring(&d.cfg.triggers[i], udaq_ring_size(d.acq.stream.ring),
					    udaq_digitizer_frame_len(d.dg),
					    d.acq.stream.sample_bytes, err, sizeof(err))) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			code = 2;
			goto out;
		}
	}
	if (d.cfg.socket_path && d.cfg.socket_path[0]) {
		ret = daqd_control_open(d.cfg.socket_path, d.cfg.socket_group, daqd_command,
					&d, &d.ctl, err, sizeof(err));
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			goto out;
		}
	}
	if (d.cfg.user) {
		ret = daqd_drop_privileges(&d, err, sizeof(err));
		if (ret) {
			daqd_log(DAQD_LOG_ERR, "%s", err);
			if (d.bad_settings)
				code = 2;
			goto out;
		}
	}
	code = run(&d);
out:
	if (d.acq_ready)
		daqd_acq_cleanup(&d.acq);
	daqd_control_close(d.ctl);
	for (size_t i = 0; i < d.nsinks; i++)
		d.sinks[i]->ops->destroy(d.sinks[i]);
	if (d.dg)
		udaq_digitizer_close(d.dg);
	if (d.dev)
		udaq_dev_close(d.dev);
	if (d.ctx)
		udaq_ctx_free(d.ctx);
	daqd_config_free(&d.cfg);
	return code;
}
