/* SPDX-License-Identifier: MIT */
/*
 * notify: sd_notify or a tiny built-in sender (notify.h). The socket is
 * opened per message: chuted sends two or three in its life.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

int
notify_send(const char *state)
{
#if HAVE_LIBSYSTEMD
	int rc = sd_notify(0, state);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
#else
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	socklen_t alen;
	int fd = -1, rc = -1, saved;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		(struct sockaddr *)&sun, alen) < 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return rc;
#endif
}
