/* SPDX-License-Identifier: MIT */
/*
 * notify: the systemd readiness protocol, as sd_notify(3) speaks it: one
 * datagram to $NOTIFY_SOCKET (a path, or '@' for an abstract socket).
 * Silently does nothing where NOTIFY_SOCKET is unset.
 */
#ifndef CHUTE_WATCHER_NOTIFY_H
#define CHUTE_WATCHER_NOTIFY_H

/* Sends state (e.g. "READY=1"). 0 (also when unset), or -1 with errno. */
int notify_send(const char *state);

#endif
